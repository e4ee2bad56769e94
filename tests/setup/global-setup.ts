import { copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { migrateDatabase } from "@/server/db/migrate";
import type { TestDatabasesContext } from "./context";
import { createDatabase, databaseUrlFor, dropDatabase } from "./postgres-admin";
import { postgresBinariesMissing, RUN_DIR_PREFIX, startPostgresServer, type PostgresServer } from "./postgres-server";

/**
 * Once per `vitest run`: a real PostgreSQL 15 server (or TEST_POSTGRES_URL), and one migrated
 * template database per provider, so createTestDatabase() only copies (SQLite) or clones
 * (CREATE DATABASE … TEMPLATE) instead of migrating each time. Also points DATABASE_URL at a
 * throwaway migrated SQLite file, so code under test that calls getDb() never touches the
 * developer's data/reco.db.
 */
export default async function setup(project: TestProject) {
  await removeStaleRunDirs();
  const runDir = await mkdtemp(path.join(os.tmpdir(), `${RUN_DIR_PREFIX}sqlite-${process.pid}-`));
  let server: PostgresServer | undefined;
  let postgresTemplate: string | null = null;
  let postgresUrl = process.env.TEST_POSTGRES_URL ?? null;
  const postgresMissing = postgresUrl ? null : postgresBinariesMissing();

  const teardown = async () => {
    if (postgresUrl && postgresTemplate && !server) await dropDatabase(postgresUrl, postgresTemplate);
    await server?.stop();
    await rm(runDir, { recursive: true, force: true });
  };

  try {
    const sqliteTemplate = path.join(runDir, "template.db");
    await migrateDatabase(`file:${sqliteTemplate}`);
    const defaultDb = path.join(runDir, "default.db");
    await copyFile(sqliteTemplate, defaultDb);
    process.env.DATABASE_URL = `file:${defaultDb}`;

    if (!postgresUrl && !postgresMissing) {
      server = await startPostgresServer();
      postgresUrl = server.url;
    }
    if (postgresUrl) {
      postgresTemplate = `reco_template_${process.pid}_${Date.now()}`;
      await createDatabase(postgresUrl, postgresTemplate);
      await migrateDatabase(databaseUrlFor(postgresUrl, postgresTemplate));
    }

    const context: TestDatabasesContext = { runDir, sqliteTemplate, postgresUrl, postgresTemplate, postgresMissing };
    project.provide("recoTestDatabases", context);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

/** Temp folders left by a test runner that was killed (its pid is gone). */
async function removeStaleRunDirs() {
  for (const name of await readdir(os.tmpdir())) {
    const pid = new RegExp(`^${RUN_DIR_PREFIX}(?:sqlite|pg)-(\\d+)-`).exec(name)?.[1];
    if (pid && !processExists(Number(pid))) await rm(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // exists, but not ours
  }
}

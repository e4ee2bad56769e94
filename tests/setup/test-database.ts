import { randomBytes } from "node:crypto";
import { copyFile, rm } from "node:fs/promises";
import path from "node:path";
import { inject } from "vitest";
import { openDb, type Db } from "@/server/db/client";
import type { DatabaseKind } from "@/server/db/env";
import "./context";
import { createDatabase, databaseUrlFor, dropDatabase } from "./postgres-admin";

export interface TestDatabase {
  url: string;
  db: Db;
  /** Disconnects and deletes the database. Call it in afterEach/afterAll. */
  cleanup(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Apply the committed migrations (default). false: an empty database, for migration tests. */
  migrated?: boolean;
}

/**
 * A fresh database of its own for a test: a new SQLite file, or a new database on the run's
 * PostgreSQL server, with every migration applied (cloned from the run's migrated template).
 *
 *   const t = await createTestDatabase("postgresql");
 *   afterAll(() => t.cleanup());
 *   await t.db.user.create({ data: {} });
 */
export async function createTestDatabase(
  kind: DatabaseKind,
  { migrated = true }: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  const ctx = inject("recoTestDatabases");
  const name = `reco_test_${randomBytes(6).toString("hex")}`;

  if (kind === "sqlite") {
    const file = path.join(ctx.runDir, `${name}.db`);
    if (migrated) await copyFile(ctx.sqliteTemplate, file);
    const url = `file:${file}`;
    const db = await openDb(url);
    return {
      url,
      db,
      async cleanup() {
        await db.$disconnect();
        for (const suffix of ["", "-journal", "-wal", "-shm"]) await rm(file + suffix, { force: true });
      },
    };
  }

  if (!ctx.postgresUrl) throw new Error(ctx.postgresMissing ?? "No PostgreSQL server for tests");
  const serverUrl = ctx.postgresUrl;
  await createDatabase(serverUrl, name, migrated ? (ctx.postgresTemplate ?? undefined) : undefined);
  const url = databaseUrlFor(serverUrl, name);
  const db = await openDb(url);
  return {
    url,
    db,
    async cleanup() {
      await db.$disconnect();
      await dropDatabase(serverUrl, name);
    },
  };
}

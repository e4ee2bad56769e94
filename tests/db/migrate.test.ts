import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { openDb } from "@/server/db/client";
import { databaseDrift, migrateDatabase } from "@/server/db/migrate";
import { prismaLayout } from "@/server/db/schemas";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";
import { columnNames, copyOfPrismaFolder, migrationRows, tableNames } from "./helpers";

const layout = prismaLayout();
const expectedSchema = { sqlite: layout.sqlite.schema, postgresql: layout.postgresSnapshot };

async function committedMigrations(dir: string) {
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  return Promise.all(
    names.sort().map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
async function testDatabase(kind: "sqlite" | "postgresql", migrated: boolean): Promise<TestDatabase> {
  const t = await createTestDatabase(kind, { migrated });
  cleanups.push(t.cleanup);
  return t;
}

describe.each(["sqlite", "postgresql"] as const)("migrateDatabase on %s", (kind) => {
  test("applies every committed migration to an empty database, recorded like the CLI", async () => {
    const t = await testDatabase(kind, false);
    const committed = await committedMigrations(layout[kind].migrations);
    expect(committed.length).toBeGreaterThan(0);

    const { applied } = await migrateDatabase(t.url);

    expect(applied).toEqual(committed.map((m) => m.name));
    const rows = await migrationRows(t.db);
    expect(rows.map((r) => [r.migration_name, r.checksum, r.applied_steps_count, r.logs, r.rolled_back_at])).toEqual(
      committed.map((m) => [m.name, m.checksum, 1, null, null]),
    );
    for (const row of rows) expect(row.finished_at).not.toBeNull();
    // The migrated database is exactly the schema (for PostgreSQL this also reads pg_catalog's
    // "char" columns, which need the OID 18 work-around in server/db/schema-engine.ts).
    expect(await databaseDrift(t.url, expectedSchema[kind])).toBeNull();
  });

  test("running it again changes nothing", async () => {
    const t = await testDatabase(kind, false);
    await migrateDatabase(t.url);
    const rowsBefore = await migrationRows(t.db);

    expect(await migrateDatabase(t.url)).toEqual({ applied: [] });
    expect(await migrationRows(t.db)).toEqual(rowsBefore);
  });

  test("runs started together (several app instances booting) apply each migration once", async () => {
    const t = await testDatabase(kind, false);
    const committed = await committedMigrations(layout[kind].migrations);

    const results = await Promise.all([migrateDatabase(t.url), migrateDatabase(t.url), migrateDatabase(t.url)]);

    expect(results.flatMap((r) => r.applied).sort()).toEqual(committed.map((m) => m.name));
    expect((await migrationRows(t.db)).map((r) => r.migration_name)).toEqual(committed.map((m) => m.name));
  });

  test("a failing migration is rolled back with a clear error, and runs once fixed", async () => {
    const t = await testDatabase(kind, true);
    await t.db.user.create({ data: { externalId: "kept" } });
    const rowsBefore = await migrationRows(t.db);
    const tablesBefore = await tableNames(t.db, kind);

    const copy = await copyOfPrismaFolder();
    cleanups.push(copy.remove);
    const broken = path.join(prismaLayout(copy.root)[kind].migrations, "29990101000000_add_nickname");
    await mkdir(broken);
    const good = 'CREATE TABLE "extra" ("id" INTEGER NOT NULL PRIMARY KEY);\nALTER TABLE "users" ADD COLUMN "nickname" TEXT;\n';
    await writeFile(path.join(broken, "migration.sql"), `${good}INSERT INTO "no_such_table" VALUES (1);\n`);

    const failure = migrateDatabase(t.url, { root: copy.root });
    await expect(failure).rejects.toThrow(/29990101000000_add_nickname \(.*29990101000000_add_nickname\/migration\.sql\)/);
    await expect(failure).rejects.toThrow(/no_such_table/);
    await expect(failure).rejects.toThrow(/rolled back/);

    // As it was: no half-applied statements, no failed row blocking the next run, data kept.
    const db = await openDb(t.url); // a fresh connection sees what is on disk / in the server
    cleanups.push(() => db.$disconnect());
    expect(await tableNames(db, kind)).toEqual(tablesBefore);
    expect(await columnNames(db, kind, "users")).not.toContain("nickname");
    expect(await migrationRows(db)).toEqual(rowsBefore);
    expect(await db.user.count({ where: { externalId: "kept" } })).toBe(1);

    await writeFile(path.join(broken, "migration.sql"), good);
    expect(await migrateDatabase(t.url, { root: copy.root })).toEqual({ applied: ["29990101000000_add_nickname"] });
    expect(await columnNames(db, kind, "users")).toContain("nickname");
  });

  test("a migration folder without migration.sql is refused before the database is touched", async () => {
    const t = await testDatabase(kind, true);
    const rowsBefore = await migrationRows(t.db);
    const copy = await copyOfPrismaFolder();
    cleanups.push(copy.remove);
    await mkdir(path.join(prismaLayout(copy.root)[kind].migrations, "29990101000000_empty"));

    await expect(migrateDatabase(t.url, { root: copy.root })).rejects.toThrow(
      /29990101000000_empty\/migration\.sql: cannot read \(ENOENT/,
    );
    expect(await migrationRows(t.db)).toEqual(rowsBefore);
  });

  test("a database that records a failed migration is refused", async () => {
    const t = await testDatabase(kind, true);
    const [latest] = (await migrationRows(t.db)).slice(-1);
    await t.db.$executeRawUnsafe(
      "UPDATE _prisma_migrations SET finished_at = NULL, logs = 'failed by hand' WHERE migration_name = '" +
        latest!.migration_name +
        "'",
    );
    const copy = await copyOfPrismaFolder();
    cleanups.push(copy.remove);
    const next = path.join(prismaLayout(copy.root)[kind].migrations, "29990101000000_next");
    await mkdir(next);
    await writeFile(path.join(next, "migration.sql"), 'CREATE TABLE "next" ("id" INTEGER NOT NULL PRIMARY KEY);\n');

    await expect(migrateDatabase(t.url, { root: copy.root })).rejects.toThrow(
      new RegExp(`failed migrations \\(${latest!.migration_name}\\)`),
    );
    expect(await tableNames(t.db, kind)).not.toContain("next");
  });

  test("migrations for another provider are refused", async () => {
    const t = await testDatabase(kind, false);
    const copy = await copyOfPrismaFolder();
    cleanups.push(copy.remove);
    const lock = path.join(prismaLayout(copy.root)[kind].migrations, "migration_lock.toml");
    await writeFile(lock, (await readFile(lock, "utf8")).replace(/provider = ".*"/, 'provider = "mysql"'));

    await expect(migrateDatabase(t.url, { root: copy.root })).rejects.toThrow(
      new RegExp(`migration_lock\\.toml: migrations are for provider "mysql", but the database is ${kind}`),
    );
    expect(await tableNames(t.db, kind)).toEqual([]);
  });
});

test("a SQLite database in a folder that does not exist yet gets the folder", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "reco-migrate-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, "nested", "deeper", "reco.db");

  const { applied } = await migrateDatabase(`file:${file}`);

  expect(applied.length).toBeGreaterThan(0);
  expect(existsSync(file)).toBe(true);
});

test("SQLite runs in WAL mode, and a migration goes through while the app holds the file open", async () => {
  const t = await createTestDatabase("sqlite");
  cleanups.push(t.cleanup);
  const app = await openDb(t.url); // as a running server does: WAL, connection kept open
  cleanups.push(() => app.$disconnect());
  expect(await app.$queryRawUnsafe<{ journal_mode: string }[]>("PRAGMA journal_mode")).toEqual([{ journal_mode: "wal" }]);
  await app.user.create({ data: { externalId: "while-open" } });

  const copy = await copyOfPrismaFolder();
  cleanups.push(copy.remove);
  const added = path.join(prismaLayout(copy.root).sqlite.migrations, "29990101000000_add_nickname");
  await mkdir(added);
  await writeFile(path.join(added, "migration.sql"), 'ALTER TABLE "users" ADD COLUMN "nickname" TEXT;\n');

  expect(await migrateDatabase(t.url, { root: copy.root })).toEqual({ applied: ["29990101000000_add_nickname"] });
  expect(await columnNames(app, "sqlite", "users")).toContain("nickname");
  expect(await app.user.count({ where: { externalId: "while-open" } })).toBe(1);
});

test("a failed first migration of a new SQLite file leaves no file behind", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "reco-migrate-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const copy = await copyOfPrismaFolder();
  cleanups.push(copy.remove);
  const migrations = prismaLayout(copy.root).sqlite.migrations;
  const [first] = (await readdir(migrations)).filter((name) => /^\d{14}_/.test(name)).sort();
  await writeFile(path.join(migrations, first!, "migration.sql"), 'CREATE TABLE "a" ("id" INTEGER);\nSELEKT 1;\n');
  const file = path.join(dir, "reco.db");

  await expect(migrateDatabase(`file:${file}`, { root: copy.root })).rejects.toThrow(/syntax error/);
  expect(existsSync(file)).toBe(false);
});

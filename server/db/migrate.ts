import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { SQLITE_BUSY_TIMEOUT_MS, databaseKind, sqliteFilePath } from "./env";
import { checkMigrationsFolder, readMigrationsFolder, type MigrationList } from "./migrations-folder";
import { engineError, startSchemaEngine, type SchemaEngine } from "./schema-engine";
import { prismaLayout } from "./schemas";

export interface MigrateOptions {
  /**
   * Folder holding prisma/ (default: this repository): its prisma/migrations (SQLite) or
   * prisma/postgres/migrations (PostgreSQL) are applied.
   */
  root?: string;
  /** Receives the schema engine's log lines (JSON), for debugging. */
  onLog?: (line: string) => void;
}

export interface MigrateResult {
  /** Names of the migrations applied by this call, oldest first; empty when already up to date. */
  applied: string[];
}

const NO_FILTER = { externalTables: [], externalEnums: [] };

/**
 * Applies the committed migrations that `url` has not seen yet — `prisma migrate deploy`, offline.
 * Records them in `_prisma_migrations` as the CLI does. Creates a SQLite file's directory.
 *
 * A migration that fails leaves the database as it was before this call: on SQLite every pending
 * migration runs in one transaction (migrateSqlite); on PostgreSQL the schema engine runs each
 * script as one transaction, and the failed `_prisma_migrations` row it writes is removed, so
 * fixing the migration and running again is all it takes.
 */
export async function migrateDatabase(url: string, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const kind = databaseKind(url);
  const paths = prismaLayout(opts.root)[kind];
  const migrations = await readMigrationsFolder(paths.migrations);
  checkMigrationsFolder(migrations, kind);
  if (kind === "sqlite") return migrateSqlite(sqliteFilePath(url), migrations);

  const schemaPath = paths.schema;
  const { engine, close } = await startSchemaEngine({
    url,
    schema: { path: schemaPath, content: await readFile(schemaPath, "utf8") },
    onLog: opts.onLog,
  });
  let closed = false;
  const closeOnce = async () => {
    if (!closed) await close();
    closed = true;
  };
  try {
    const { pending, hadMigrationsTable } = await pendingMigrations(engine, migrations);
    if (pending.length === 0) return { applied: [] };
    try {
      const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList: migrations, filters: NO_FILTER });
      return { applied: appliedMigrationNames };
    } catch (error) {
      await closeOnce();
      // Undo, and find out which migration it was (the engine's message does not always say).
      const failed = await forgetFailedPostgresMigrations(url, pending, hadMigrationsTable);
      const described = failed.map(
        (name) => `${name} (${path.relative(process.cwd(), path.join(migrations.baseDir, name, "migration.sql"))})`,
      );
      throw engineError(
        `Migration ${described.join(", ")} failed and was rolled back; the database is as it was before this run`,
        error,
      );
    }
  } finally {
    await closeOnce();
  }
}

// The table Prisma's CLI keeps its history in, as it creates it on SQLite.
const SQLITE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

/**
 * SQLite migrations, applied here rather than by the schema engine: the engine takes the file in
 * exclusive locking mode, which a database in WAL mode refuses while any other connection (the
 * running app, another instance booting) has it open. Here all pending migrations run in one
 * IMMEDIATE transaction (SQLite's DDL is transactional): a failure rolls everything back, and
 * instances booting together wait for each other (busy timeout) and apply each migration once.
 * Foreign keys are off meanwhile, as SQLite prescribes for schema changes (a table rebuild must
 * not cascade deletes), and checked before committing. History rows are written as the CLI does.
 */
function migrateSqlite(file: string, migrations: MigrationList): MigrateResult {
  const existed = existsSync(file);
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  const scripts = migrations.migrationDirectories.map((dir) => ({
    name: dir.path,
    sql: dir.migrationFile.content.tag === "ok" ? dir.migrationFile.content.value : "",
  }));
  let current: string | undefined;
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = OFF");
    const applied = db.transaction(() => {
      db.exec(SQLITE_MIGRATIONS_TABLE);
      const pending = pendingSqliteMigrations(db, scripts.map((s) => s.name));
      const record = db.prepare(
        'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) ' +
          "VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)",
      );
      for (const { name, sql } of scripts.filter((s) => pending.includes(s.name))) {
        current = name;
        const startedAt = prismaTimestamp();
        db.exec(sql);
        record.run(randomUUID(), createHash("sha256").update(sql).digest("hex"), prismaTimestamp(), name, startedAt);
      }
      current = undefined;
      const broken = db.pragma("foreign_key_check") as unknown[];
      if (broken.length > 0) throw new Error(`${broken.length} rows would break foreign keys`);
      return pending;
    }).immediate();
    return { applied };
  } catch (error) {
    db.close();
    if (!existed) removeSqliteFiles(file);
    const which = current ? ` ${current} (${path.relative(process.cwd(), path.join(migrations.baseDir, current, "migration.sql"))})` : "s";
    throw new Error(`Migration${which} failed and was rolled back; the database is as it was before this run: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    if (db.open) db.close();
  }
}

/** Migration names not yet applied, refusing a history this folder does not explain. */
function pendingSqliteMigrations(db: Database.Database, names: string[]): string[] {
  const rows = db
    .prepare('SELECT migration_name AS name, finished_at AS finished, rolled_back_at AS rolledBack FROM "_prisma_migrations" ORDER BY started_at')
    .all() as { name: string; finished: string | null; rolledBack: string | null }[];
  const failed = rows.filter((r) => r.finished === null && r.rolledBack === null).map((r) => r.name);
  if (failed.length > 0) {
    throw new Error(
      `The database has failed migrations (${failed.join(", ")}) recorded in ` +
        "_prisma_migrations: fix the database by hand and delete those rows before migrating again",
    );
  }
  const done = new Set(rows.filter((r) => r.rolledBack === null).map((r) => r.name));
  const unknown = [...done].filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new Error(`The database has migrations that the migrations folder lacks: ${unknown.join(", ")} — is this database from a newer or another checkout?`);
  }
  return names.filter((name) => !done.has(name));
}

/** The CLI's timestamp format in _prisma_migrations on SQLite: "2026-12-03T19:03:28.704+00:00". */
function prismaTimestamp(): string {
  return new Date().toISOString().replace("Z", "+00:00");
}

async function pendingMigrations(engine: SchemaEngine, migrations: MigrationList) {
  const diagnosis = await engine
    .diagnoseMigrationHistory({ migrationsList: migrations, optInToShadowDatabase: false, filters: NO_FILTER })
    .catch((error: unknown) => {
      // On a fresh SQLite file the engine fails with P1014 ("_prisma_migrations does not exist")
      // instead of reporting hasMigrationsTable: false as it does on PostgreSQL.
      if ((error as { code?: unknown }).code === "P1014") return null;
      throw engineError("Could not read the database's migration history", error);
    });
  if (diagnosis === null) {
    return { pending: migrations.migrationDirectories.map((dir) => dir.path), hadMigrationsTable: false };
  }
  if (diagnosis.failedMigrationNames.length > 0) {
    throw new Error(
      `The database has failed migrations (${diagnosis.failedMigrationNames.join(", ")}) recorded in ` +
        "_prisma_migrations: fix the database by hand and delete those rows before migrating again",
    );
  }
  const history = diagnosis.history;
  if (history?.diagnostic === "migrationsDirectoryIsBehind" || history?.diagnostic === "historiesDiverge") {
    throw new Error(
      `The database has migrations that ${path.relative(process.cwd(), migrations.baseDir)} lacks: ` +
        `${history.unpersistedMigrationNames.join(", ")} — is this database from a newer or another checkout?`,
    );
  }
  const pending = history?.diagnostic === "databaseIsBehind" ? history.unappliedMigrationNames : [];
  return { pending, hadMigrationsTable: diagnosis.hasMigrationsTable };
}

function removeSqliteFiles(file: string): void {
  for (const suffix of ["", "-journal", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
}

/**
 * Removes the rows the engine wrote for migrations that failed in this run (each script ran as
 * one transaction, so nothing else of theirs is left); returns their names.
 */
async function forgetFailedPostgresMigrations(url: string, pending: string[], hadMigrationsTable: boolean) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: failed } = await client.query<{ migration_name: string }>(
      "DELETE FROM _prisma_migrations WHERE finished_at IS NULL AND rolled_back_at IS NULL " +
        "AND migration_name = ANY($1) RETURNING migration_name",
      [pending],
    );
    if (!hadMigrationsTable) {
      const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM _prisma_migrations");
      if (rows[0]?.n === "0") await client.query("DROP TABLE _prisma_migrations");
    }
    return failed.map((row) => row.migration_name);
  } finally {
    await client.end();
  }
}

/**
 * The SQL that would bring the database at `url` to the given schema file; null when it already
 * matches (e.g. after migrating, against prisma/schema.prisma or, on PostgreSQL,
 * prisma/postgres/last-migrated.prisma). Reads the live database's catalog.
 */
export async function databaseDrift(url: string, schemaPath: string): Promise<string | null> {
  const content = await readFile(schemaPath, "utf8");
  const files = [{ path: schemaPath, content }];
  const { engine, close } = await startSchemaEngine({ url, schema: { path: schemaPath, content } });
  try {
    const result = await engine.diff({
      from: { tag: "schemaDatasource", files, configDir: path.dirname(schemaPath) },
      to: { tag: "schemaDatamodel", files },
      script: true,
      exitCode: true,
      filters: NO_FILTER,
    });
    return result.exitCode === 2 ? (result.stdout ?? "") : null;
  } catch (error) {
    throw engineError("Could not compare the database with the schema", error);
  } finally {
    await close();
  }
}

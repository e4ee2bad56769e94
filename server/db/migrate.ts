import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { databaseKind, sqliteFilePath } from "./env";
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
 * A migration that fails leaves the database as it was before this call: SQLite is restored from a
 * copy taken just before (SQLite runs a script statement by statement, without a transaction);
 * on PostgreSQL each script runs as one transaction, and the failed `_prisma_migrations` row the
 * engine writes is removed, so fixing the migration and running again is all it takes.
 */
export async function migrateDatabase(url: string, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const kind = databaseKind(url);
  const paths = prismaLayout(opts.root)[kind];
  const migrations = await readMigrationsFolder(paths.migrations);
  checkMigrationsFolder(migrations, kind);

  const sqliteFile = kind === "sqlite" ? sqliteFilePath(url) : undefined;
  const sqliteExisted = sqliteFile !== undefined && existsSync(sqliteFile);
  const backup = sqliteFile && sqliteExisted ? `${sqliteFile}.before-migrate` : undefined;
  if (backup && existsSync(backup)) {
    // Left by a run that was killed mid-migration: the database may be half migrated, and this
    // copy is the state before it. Never overwrite it.
    throw new Error(
      `${backup} exists: a migration run was interrupted. Copy it over ${sqliteFile} (or delete it ` +
        "if the database is known to be fine) and run again",
    );
  }
  if (sqliteFile) await mkdir(path.dirname(sqliteFile), { recursive: true });

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

    if (backup) await sqliteCopy(sqliteFile!, backup);
    try {
      const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList: migrations, filters: NO_FILTER });
      return { applied: appliedMigrationNames };
    } catch (error) {
      await closeOnce();
      // Undo, and find out which migration it was (the engine's message does not always say).
      let failed: string[];
      if (sqliteFile) {
        failed = await unfinishedSqliteMigrations(sqliteFile, pending);
        if (backup) await sqliteCopy(backup, sqliteFile);
        else await removeSqliteFiles(sqliteFile);
      } else {
        failed = await forgetFailedPostgresMigrations(url, pending, hadMigrationsTable);
      }
      const described = failed.map(
        (name) => `${name} (${path.relative(process.cwd(), path.join(migrations.baseDir, name, "migration.sql"))})`,
      );
      throw engineError(
        `Migration ${described.join(", ")} failed and was rolled back; the database is as it was before this run`,
        error,
      );
    } finally {
      if (backup) await rm(backup, { force: true });
    }
  } finally {
    await closeOnce();
  }
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

/** SQLite's online backup: a consistent copy even while other connections have the file open. */
async function sqliteCopy(from: string, to: string): Promise<void> {
  const source = new Database(from, { fileMustExist: true });
  try {
    await source.backup(to);
  } finally {
    source.close();
  }
}

async function removeSqliteFiles(file: string): Promise<void> {
  for (const suffix of ["", "-journal", "-wal", "-shm"]) await rm(file + suffix, { force: true });
}

/** Names of this run's migrations that the engine recorded as started but not finished. */
async function unfinishedSqliteMigrations(file: string, pending: string[]): Promise<string[]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NULL AND rolled_back_at IS NULL")
      .all() as { migration_name: string }[];
    return rows.map((row) => row.migration_name).filter((name) => pending.includes(name));
  } catch {
    return []; // no _prisma_migrations table: nothing was recorded
  } finally {
    db.close();
  }
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

import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { databaseKind, sqliteFilePath } from "./env";
import { checkMigrationsFolder, readMigrationsFolder, type MigrationList } from "./migrations-folder";
import { engineError, startSchemaEngine, type SchemaEngine } from "./schema-engine";
import { providerPaths } from "./schemas";

export interface MigrateOptions {
  /** Defaults to prisma/migrations (SQLite) or prisma/postgres/migrations (PostgreSQL). */
  migrationsDir?: string;
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
  const migrations = await readMigrationsFolder(opts.migrationsDir ?? providerPaths[kind].migrations);
  checkMigrationsFolder(migrations, kind);

  const sqliteFile = kind === "sqlite" ? sqliteFilePath(url) : undefined;
  const sqliteExisted = sqliteFile !== undefined && existsSync(sqliteFile);
  if (sqliteFile) await mkdir(path.dirname(sqliteFile), { recursive: true });

  const schemaPath = providerPaths[kind].schema;
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

    if (sqliteFile) {
      const backup = `${sqliteFile}.before-migrate`;
      if (sqliteExisted) await sqliteCopy(sqliteFile, backup);
      try {
        return await applyPending(engine, migrations);
      } catch (error) {
        await closeOnce();
        if (sqliteExisted) await sqliteCopy(backup, sqliteFile);
        else await removeSqliteFiles(sqliteFile);
        throw error;
      } finally {
        await rm(backup, { force: true });
      }
    }

    try {
      return await applyPending(engine, migrations);
    } catch (error) {
      await closeOnce();
      await forgetFailedPostgresMigrations(url, pending, hadMigrationsTable);
      throw error;
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

async function applyPending(engine: SchemaEngine, migrations: MigrationList): Promise<MigrateResult> {
  try {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList: migrations, filters: NO_FILTER });
    return { applied: appliedMigrationNames };
  } catch (error) {
    throw engineError("Migration failed; the database was left as it was before", error);
  }
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

/** Removes the rows the engine wrote for migrations that failed in this run (their SQL was rolled back). */
async function forgetFailedPostgresMigrations(url: string, pending: string[], hadMigrationsTable: boolean) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      "DELETE FROM _prisma_migrations WHERE finished_at IS NULL AND rolled_back_at IS NULL AND migration_name = ANY($1)",
      [pending],
    );
    if (!hadMigrationsTable) {
      const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM _prisma_migrations");
      if (rows[0]?.n === "0") await client.query("DROP TABLE _prisma_migrations");
    }
  } finally {
    await client.end();
  }
}

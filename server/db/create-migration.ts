import { readFile, writeFile } from "node:fs/promises";
import type { DatabaseKind } from "./env";
import { readMigrationsFolder, writeMigration } from "./migrations-folder";
import type { DiffTarget } from "@prisma/schema-engine-wasm";
import { engineError, POSTGRES_WITHOUT_SERVER, startSchemaEngine } from "./schema-engine";
import { GENERATED_HEADER, prismaLayout, syncPostgresSchema, type PrismaLayout } from "./schemas";

/**
 * `prisma migrate dev --create-only`, offline, for both providers at once.
 *
 * SQLite: the engine replays prisma/migrations into an in-memory shadow database and diffs it
 * against prisma/schema.prisma (what the CLI does, with `:memory:` as the shadow database).
 *
 * PostgreSQL: replaying migrations would need a PostgreSQL server for the shadow database, which a
 * SQLite-only developer does not run. Instead the engine diffs two datamodels, which needs no
 * database: prisma/postgres/last-migrated.prisma (the PostgreSQL schema as of the newest
 * migration, written here each time) against the freshly derived prisma/postgres/schema.prisma.
 * tests/db checks that applying prisma/postgres/migrations yields exactly that snapshot.
 */
const SNAPSHOT_HEADER =
  "// Written by `npm run db:migrate`: prisma/postgres/schema.prisma as of the newest migration in\n" +
  "// prisma/postgres/migrations. The next PostgreSQL migration is the diff from this to the schema.\n";

const NO_FILTER = { externalTables: [], externalEnums: [] };

export interface CreatedMigration {
  /** Folder name shared by both providers, e.g. 20261123163000_add_ratings. */
  name: string;
  /** Folders written (a change can be a no-op for one provider, e.g. a new enum value on SQLite). */
  written: string[];
}

/** Creates the migration folders for a schema change; null when the schema has no changes. */
export async function createMigration(
  migrationName: string,
  layout = prismaLayout(),
): Promise<CreatedMigration | null> {
  if (!/^[A-Za-z0-9_]+$/.test(migrationName)) {
    throw new Error(`Migration name "${migrationName}": use letters, digits and underscores only`);
  }
  const { sqlite: sqliteScript, postgresql: postgresScript } = await pendingSchemaChanges(layout);
  if (sqliteScript === null && postgresScript === null) return null;

  const name = migrationFolderName(migrationName);
  const written: string[] = [];
  if (sqliteScript !== null) {
    written.push(await writeMigration(layout.sqlite.migrations, "sqlite", name, sqliteScript));
  }
  if (postgresScript !== null) {
    written.push(await writeMigration(layout.postgresql.migrations, "postgresql", name, postgresScript));
  }
  const postgresSchema = await readFile(layout.postgresql.schema, "utf8");
  await writeFile(layout.postgresSnapshot, SNAPSHOT_HEADER + postgresSchema.replace(GENERATED_HEADER, ""));
  return { name, written };
}

/**
 * The SQL each provider's next migration would hold (null: none needed). Also syncs
 * prisma/postgres/schema.prisma with the source first.
 */
export async function pendingSchemaChanges(layout = prismaLayout()): Promise<Record<DatabaseKind, string | null>> {
  await syncPostgresSchema(layout);
  return { sqlite: await sqliteMigration(layout), postgresql: await postgresMigration(layout) };
}

async function sqliteMigration(layout: PrismaLayout): Promise<string | null> {
  const schemaPath = layout.sqlite.schema;
  const content = await readFile(schemaPath, "utf8");
  const migrations = await readMigrationsFolder(layout.sqlite.migrations);
  // The WASM engine's createMigration refuses SQLite ("shadow DB must be provided through an
  // external factory"); its diff takes the shadow database from the adapter factory, which for
  // better-sqlite3 is `:memory:`. The connection itself is not used, so it is in memory too.
  return diffScript({
    url: "file::memory:",
    schemaPath,
    content,
    from: migrations.migrationDirectories.length === 0 ? { tag: "empty" } : { tag: "migrations", ...migrations },
    failure: "Could not create the SQLite migration",
  });
}

/** Folder name as the CLI forms it: UTC timestamp to the second, underscore, the given name. */
export function migrationFolderName(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${stamp}_${name}`;
}

/** The SQL from the last migrated PostgreSQL schema to the current one; null when they match. */
async function postgresMigration(layout: PrismaLayout): Promise<string | null> {
  const schemaPath = layout.postgresql.schema;
  const content = await readFile(schemaPath, "utf8");
  const previous = await readFile(layout.postgresSnapshot, "utf8").catch(() => null);
  return diffScript({
    url: POSTGRES_WITHOUT_SERVER,
    schemaPath,
    content,
    // Before the first migration: a schema without models, i.e. an empty "public" schema (the
    // engine's "empty" target would also emit CREATE SCHEMA "public", which the CLI's does not).
    from: {
      tag: "schemaDatamodel",
      files: [{ path: layout.postgresSnapshot, content: previous ?? 'datasource db {\n  provider = "postgresql"\n}\n' }],
    },
    failure: "Could not create the PostgreSQL migration",
  });
}


/** The migration script from `from` to the schema file's datamodel; null when there is no difference. */
async function diffScript({
  url,
  schemaPath,
  content,
  from,
  failure,
}: {
  url: Parameters<typeof startSchemaEngine>[0]["url"];
  schemaPath: string;
  content: string;
  from: DiffTarget;
  failure: string;
}): Promise<string | null> {
  const { engine, close } = await startSchemaEngine({ url, schema: { path: schemaPath, content } });
  try {
    const result = await engine.diff({
      from,
      to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content }] },
      script: true,
      exitCode: true,
      filters: NO_FILTER,
    });
    // With exitCode set, the engine answers 2 when there is a difference and 0 when there is none.
    return result.exitCode === 2 ? (result.stdout ?? "") : null;
  } catch (error) {
    throw engineError(failure, error);
  } finally {
    await close();
  }
}

import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/sqlite/client";
import { databaseKind, databaseUrl } from "./env";

export type Db = PrismaClient;

// How long a SQLite write waits for another writer (an import, a second process) before failing.
const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens a Prisma client for a database URL: SQLite through better-sqlite3, PostgreSQL through pg.
 * Both generated clients expose the same model API (one schema, two providers), so callers see
 * one type.
 */
export async function openDb(url = databaseUrl()): Promise<Db> {
  if (databaseKind(url) === "sqlite") {
    // Rollback-journal mode, not WAL: under WAL the offline schema engine's migrations fail with
    // SQLITE_BUSY when several app instances boot on one file, or while the app holds the file open
    // (tests/db/migrate.test.ts). Within one server process the adapter serializes transactions.
    return new PrismaClient({ adapter: new PrismaBetterSqlite3({ url, timeout: SQLITE_BUSY_TIMEOUT_MS }) });
  }
  const [{ PrismaPg }, { PrismaClient: PgClient }] = await Promise.all([
    import("@prisma/adapter-pg"),
    import("./generated/postgres/client"),
  ]);
  return new PgClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db;
}

// One client per process (Next.js dev reloads modules, so keep it on globalThis).
const cache = globalThis as unknown as { recoDb?: Promise<Db> };

export function getDb(): Promise<Db> {
  cache.recoDb ??= openDb();
  return cache.recoDb;
}

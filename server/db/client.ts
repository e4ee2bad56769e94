import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/sqlite/client";
import { SQLITE_BUSY_TIMEOUT_MS, databaseKind, databaseUrl } from "./env";

export type Db = PrismaClient;


/**
 * Opens a Prisma client for a database URL: SQLite through better-sqlite3, PostgreSQL through pg.
 * Both generated clients expose the same model API (one schema, two providers), so callers see
 * one type.
 */
export async function openDb(url = databaseUrl()): Promise<Db> {
  if (databaseKind(url) === "sqlite") {
    const db = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url, timeout: SQLITE_BUSY_TIMEOUT_MS }) });
    // Write-ahead logging: readers (pages, the chat's reads) never wait for a writer (an answer
    // being stored, an import). The mode is stored in the file, so this is a no-op after the first open.
    await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
    return db;
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

/**
 * A case-insensitive "contains" filter on either database: SQLite's LIKE already ignores (ASCII)
 * case; PostgreSQL needs `mode: "insensitive"`, which the SQLite client's types do not know.
 */
export function containsText(db: Db, value: string): { contains: string } {
  return ((db as unknown as { _activeProvider: string })._activeProvider === "postgresql" ? { contains: value, mode: "insensitive" } : { contains: value }) as { contains: string };
}

import path from "node:path";
import { z } from "zod";

/** The database URL, validated once. Default: an embedded SQLite file under data/. */
const DatabaseUrl = z
  .string()
  .refine((url) => url.startsWith("file:") || /^postgres(ql)?:\/\//.test(url), {
    message: "DATABASE_URL must be a SQLite file: URL or a postgres:// URL",
  });

/** How long a SQLite write waits for another writer (an import, a second process, a migration) before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

export type DatabaseKind = "sqlite" | "postgresql";

export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const parsed = DatabaseUrl.safeParse(env.DATABASE_URL ?? "file:./data/reco.db");
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join("; "));
  return parsed.data;
}

export function databaseKind(url: string): DatabaseKind {
  return url.startsWith("file:") ? "sqlite" : "postgresql";
}

/** The file a SQLite URL points at, resolved as better-sqlite3 does (relative to the working directory). */
export function sqliteFilePath(url: string): string {
  return path.resolve(url.replace(/^file:/, ""));
}

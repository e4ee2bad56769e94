import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Db } from "@/server/db/client";
import { repoRoot } from "@/server/db/schemas";

/** A scratch copy of the repository's prisma/ folder, so tests can add migrations or edit the schema. */
export async function copyOfPrismaFolder(): Promise<{ root: string; remove: () => Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), "reco-prisma-"));
  await cp(path.join(repoRoot, "prisma"), path.join(root, "prisma"), { recursive: true });
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

/** Every file under a folder with its content, to prove that something wrote nothing. */
export async function folderContents(dir: string): Promise<Record<string, string>> {
  const contents: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    contents[path.relative(dir, file)] = await readFile(file, "utf8");
  }
  return contents;
}

export interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
  logs: string | null;
  applied_steps_count: number;
}

export async function migrationRows(db: Db): Promise<MigrationRow[]> {
  const rows = await db.$queryRawUnsafe<MigrationRow[]>(
    "SELECT migration_name, checksum, finished_at, rolled_back_at, logs, applied_steps_count " +
      "FROM _prisma_migrations ORDER BY migration_name",
  );
  // SQLite hands integers back as bigint.
  return rows.map((row) => ({ ...row, applied_steps_count: Number(row.applied_steps_count) }));
}

/** Table names in the database (without Prisma's bookkeeping table). */
export async function tableNames(db: Db, kind: "sqlite" | "postgresql"): Promise<string[]> {
  const sql =
    kind === "sqlite"
      ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
      : "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename";
  const rows = await db.$queryRawUnsafe<{ name: string }[]>(sql);
  return rows.map((row) => row.name).filter((name) => name !== "_prisma_migrations");
}

export async function columnNames(db: Db, kind: "sqlite" | "postgresql", table: string): Promise<string[]> {
  const rows =
    kind === "sqlite"
      ? await db.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM pragma_table_info('${table}')`)
      : await db.$queryRawUnsafe<{ name: string }[]>(
          "SELECT column_name AS name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
          table,
        );
  return rows.map((row) => row.name);
}

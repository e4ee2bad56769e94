import path from "node:path";
import type { Db } from "@/server/db/client";

export const FIXTURES = path.resolve("tests/fixtures/import");
export const fixture = (name: string) => path.join(FIXTURES, name);

/**
 * Everything an import may write, as one string. Two equal snapshots mean the database was not
 * touched at all — not even an updatedAt.
 */
export async function snapshot(db: Db): Promise<string> {
  const [items, users, interactions, runs] = await Promise.all([
    db.item.findMany({ orderBy: { id: "asc" } }),
    db.user.findMany({ orderBy: { id: "asc" } }),
    db.interaction.findMany({ orderBy: { id: "asc" } }),
    db.importRun.findMany({ orderBy: { id: "asc" } }),
  ]);
  return JSON.stringify({ items, users, interactions, runs });
}

export async function counts(db: Db) {
  return {
    items: await db.item.count(),
    users: await db.user.count(),
    interactions: await db.interaction.count(),
    runs: await db.importRun.count(),
  };
}

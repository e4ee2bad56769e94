import "server-only";
import type { Db } from "../client";

/** A visitor's user row, created on first use (the id comes from their cookie). */
export async function ensureVisitor(db: Db, id: string): Promise<void> {
  await db.user.upsert({ where: { id }, create: { id }, update: {} });
}

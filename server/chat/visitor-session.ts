import { cookies } from "next/headers";
import { getDb, type Db } from "../db/client";
import { ensureVisitor } from "../db/queries/users";
import { VISITOR_COOKIE, isVisitorId } from "../visitors";

/** The current visitor's id (set by proxy.ts) and the database, for pages, routes and actions. */
export async function currentVisitor(): Promise<{ db: Db; userId: string } | null> {
  const id = (await cookies()).get(VISITOR_COOKIE)?.value;
  if (!isVisitorId(id)) return null;
  const db = await getDb();
  await ensureVisitor(db, id);
  return { db, userId: id };
}

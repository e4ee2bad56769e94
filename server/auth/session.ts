import "server-only";
import { cookies, headers } from "next/headers";
import { forbidden, redirect } from "next/navigation";
import { cache } from "react";
import { getDb, type Db } from "../db/client";
import { ensureVisitor } from "../db/queries/users";
import { AppError } from "../http/errors";
import { VISITOR_COOKIE, isVisitorId } from "../visitors";
import { can, isRole, type Permission, type RoleName } from "./access";
import { getAuth } from "./auth";

/**
 * Who is asking: a signed-in account (its session cookie), or else a guest (the visitor cookie
 * proxy.ts gives every browser). Guests chat as accounts do; only accounts hold roles.
 */
export type Actor = {
  db: Db;
  userId: string;
  role: RoleName;
  account: { email: string; name: string } | null;
};

/** The current actor, read once per request; null only for a request with no cookie at all. */
export const currentActor = cache(async (): Promise<Actor | null> => {
  const db = await getDb();
  const session = await (await getAuth()).api.getSession({ headers: await headers() });
  if (session) {
    const { id, email, name, role } = session.user;
    return { db, userId: id, role: isRole(role) ? role : "user", account: { email, name } };
  }
  const id = (await cookies()).get(VISITOR_COOKIE)?.value;
  if (!isVisitorId(id)) return null;
  await ensureVisitor(db, id);
  return { db, userId: id, role: "user", account: null };
});

/** For routes and actions: the actor if they may do this, else `unauthorized:…` / `forbidden:…`. */
export async function authorize(permission: Permission): Promise<Actor> {
  const actor = await currentActor();
  if (!actor?.account) throw new AppError("unauthorized:sign_in", "Sign in to do this.");
  if (!can(actor.role, permission)) throw new AppError("forbidden:role", "Your account's role does not allow this.");
  return actor;
}

/** For pages: sends a guest to sign in (and back here after), and answers 403 to a role without the permission. */
export async function requirePagePermission(permission: Permission, path: string): Promise<Actor> {
  const actor = await currentActor();
  if (!actor?.account) redirect(`/sign-in?next=${encodeURIComponent(path)}`);
  if (!can(actor.role, permission)) forbidden();
  return actor;
}

import "server-only";
import type { RoleName } from "../../auth/access";
import type { Db } from "../client";

/** A visitor's user row, created on first use (the id comes from their cookie). */
export async function ensureVisitor(db: Db, id: string): Promise<void> {
  await db.user.upsert({ where: { id }, create: { id }, update: {} });
}

/**
 * A guest's conversations, feedback and interactions become the account's, and the guest row goes,
 * all in one transaction. Only a guest (no email, not imported) is ever adopted. An interaction the
 * account already has (same item, kind and time) is dropped rather than duplicated.
 */
export async function adoptGuest(db: Db, { guestId, accountId }: { guestId: string; accountId: string }): Promise<{ conversations: number }> {
  if (guestId === accountId) return { conversations: 0 };
  return db.$transaction(async (tx) => {
    const guest = await tx.user.findUnique({ where: { id: guestId }, select: { email: true, externalId: true } });
    if (!guest || guest.email !== null || guest.externalId !== null) return { conversations: 0 };
    const moved = await tx.conversation.updateMany({ where: { userId: guestId }, data: { userId: accountId } });
    await tx.feedback.updateMany({ where: { userId: guestId }, data: { userId: accountId } });
    const guestRows = await tx.interaction.findMany({ where: { userId: guestId }, select: { id: true, itemId: true, kind: true, at: true } });
    if (guestRows.length > 0) {
      const held = await tx.interaction.findMany({
        where: { userId: accountId, itemId: { in: [...new Set(guestRows.map((r) => r.itemId))] } },
        select: { itemId: true, kind: true, at: true },
      });
      const key = (r: { itemId: number; kind: string; at: Date }) => `${r.itemId}|${r.kind}|${r.at.getTime()}`;
      const heldKeys = new Set(held.map(key));
      const duplicates = guestRows.filter((r) => heldKeys.has(key(r))).map((r) => r.id);
      if (duplicates.length > 0) await tx.interaction.deleteMany({ where: { id: { in: duplicates } } });
      await tx.interaction.updateMany({ where: { userId: guestId }, data: { userId: accountId } });
    }
    await tx.user.delete({ where: { id: guestId } });
    return { conversations: moved.count };
  });
}

const accountFields = { id: true, email: true, name: true, role: true, createdAt: true } as const;

export type AccountRow = { id: string; email: string; name: string; role: RoleName; createdAt: Date };

/** Accounts (users with an email), oldest first, for the admin page and CLI. */
export async function listAccounts(db: Db): Promise<AccountRow[]> {
  const rows = await db.user.findMany({
    where: { email: { not: null } },
    orderBy: { createdAt: "asc" },
    select: accountFields,
  });
  return rows.map((r) => ({ ...r, email: r.email! }));
}

export async function findAccount(db: Db, where: { id: string } | { email: string }): Promise<AccountRow | null> {
  const row = await db.user.findUnique({ where: "email" in where ? { email: where.email.toLowerCase() } : where, select: accountFields });
  return row?.email ? { ...row, email: row.email } : null;
}

/** Sets an account's role; returns false when no account has this id. */
export async function setAccountRole(db: Db, { userId, role }: { userId: string; role: RoleName }): Promise<boolean> {
  const { count } = await db.user.updateMany({ where: { id: userId, email: { not: null } }, data: { role } });
  return count === 1;
}

export async function countAdmins(db: Db): Promise<number> {
  return db.user.count({ where: { role: "admin", email: { not: null } } });
}

// Failed sign-ins are counted in better-auth's verifications table (one row per failure, expiring),
// so the limit holds across restarts and app instances.
const failureKey = (email: string) => `sign-in-failure:${email.toLowerCase()}`;

export async function recentSignInFailures(db: Db, { email, now = new Date() }: { email: string; now?: Date }): Promise<Date[]> {
  const rows = await db.verification.findMany({
    where: { identifier: failureKey(email), expiresAt: { gt: now } },
    orderBy: { expiresAt: "asc" },
    select: { expiresAt: true },
  });
  return rows.map((r) => r.expiresAt);
}

export async function recordSignInFailure(db: Db, { email, expiresAt }: { email: string; expiresAt: Date }): Promise<void> {
  await db.$transaction([
    db.verification.deleteMany({ where: { identifier: failureKey(email), expiresAt: { lte: new Date() } } }),
    db.verification.create({ data: { id: crypto.randomUUID(), identifier: failureKey(email), value: "", expiresAt } }),
  ]);
}

export async function clearSignInFailures(db: Db, { email }: { email: string }): Promise<void> {
  await db.verification.deleteMany({ where: { identifier: failureKey(email) } });
}

import "server-only";
import type { Db } from "../client";
import { Prisma } from "../generated/sqlite/client";

/** Reads of interactions: what users did with items (imported, or from the app's feedback). */

/** SQL that counts an interaction as a positive signal (ratings 4+, to-read, likes, ...). */
export function positiveInteraction(alias: string): Prisma.Sql {
  return Prisma.raw(
    `((${alias}.kind = 'rating' AND ${alias}.value >= 4) OR ${alias}.kind IN ('to_read', 'view', 'click', 'like', 'save'))`,
  );
}

export type CoCount = { seedId: number | bigint; itemId: number | bigint; shared: number | bigint };

/** For each seed and each other item: how many users were positive about both. */
export async function cooccurrence(db: Db, { seedIds }: { seedIds: number[] }): Promise<CoCount[]> {
  if (seedIds.length === 0) return [];
  return db.$queryRaw<CoCount[]>`
    SELECT a.item_id AS "seedId", b.item_id AS "itemId", COUNT(DISTINCT a.user_id) AS shared
    FROM interactions a
    JOIN interactions b ON b.user_id = a.user_id AND b.item_id <> a.item_id
    WHERE a.item_id IN (${Prisma.join(seedIds)}) AND ${positiveInteraction("a")} AND ${positiveInteraction("b")}
    GROUP BY a.item_id, b.item_id`;
}

/** The user's latest interactions that can be positive, newest first (ratings with their value). */
export async function recentPositiveCandidates(
  db: Db,
  { userId, catalog, take }: { userId: string; catalog: string; take: number },
): Promise<{ itemId: number; kind: string; value: number | null }[]> {
  return db.interaction.findMany({
    where: { userId, item: { catalog }, kind: { in: ["like", "save", "click", "to_read", "rating"] } },
    orderBy: { at: "desc" },
    select: { itemId: true, kind: true, value: true },
    take,
  });
}

/** Items this user said they are not interested in. */
export async function notInterestedItemIds(db: Db, { userId }: { userId: string }): Promise<number[]> {
  const rows = await db.interaction.findMany({ where: { userId, kind: "not_interested" }, select: { itemId: true } });
  return rows.map((r) => r.itemId);
}

/** The user's thumbs-down items with when each was given, oldest first. */
export async function dislikes(db: Db, { userId }: { userId: string }): Promise<{ itemId: number; at: Date }[]> {
  return db.interaction.findMany({ where: { userId, kind: "dislike" }, orderBy: { at: "asc" }, select: { itemId: true, at: true } });
}

export type ExportedInteraction = { id: string; user: string; item: string; at: Date; kind: string; value: number | null };

/** How many interactions with the catalog's items happened at or after `since`. */
export async function countInteractionsSince(db: Db, { catalog, since }: { catalog: string; since: Date }): Promise<number> {
  return db.interaction.count({ where: { item: { catalog }, at: { gte: since } } });
}

/**
 * A page of the catalog's interactions since `since`, in (at, id) order after a cursor, with the
 * user's and the item's external ids when they have them (the training data's ids).
 */
export async function interactionsPage(
  db: Db,
  { catalog, since, after, take }: { catalog: string; since: Date; after: { at: Date; id: string } | null; take: number },
): Promise<ExportedInteraction[]> {
  const rows = await db.interaction.findMany({
    where: {
      item: { catalog },
      at: { gte: since },
      ...(after ? { OR: [{ at: { gt: after.at } }, { at: after.at, id: { gt: after.id } }] } : {}),
    },
    orderBy: [{ at: "asc" }, { id: "asc" }],
    take,
    select: { id: true, at: true, kind: true, value: true, user: { select: { id: true, externalId: true } }, item: { select: { externalId: true } } },
  });
  return rows.map((r) => ({ id: r.id, user: r.user.externalId ?? r.user.id, item: r.item.externalId, at: r.at, kind: r.kind, value: r.value }));
}

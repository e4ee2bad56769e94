import "server-only";
import type { Db } from "../client";
import { positiveInteraction } from "./interactions";

/** Reads of a catalog's items, for the in-memory catalog index (server/catalog/catalog-index.ts). */

/** "<items>:<latest update>:<interactions>": changes whenever the catalog or its interactions do; the first two identify the items alone. */
export async function catalogStamp(db: Db, { catalog }: { catalog: string }): Promise<string> {
  const [items, latest, interactions] = await Promise.all([
    db.item.count({ where: { catalog } }),
    db.item.findFirst({ where: { catalog }, orderBy: { updatedAt: "desc" }, select: { updatedAt: true } }),
    db.interaction.count({ where: { item: { catalog } } }),
  ]);
  return `${items}:${latest?.updatedAt.getTime() ?? 0}:${interactions}`;
}

export async function catalogItems(db: Db, { catalog }: { catalog: string }) {
  return db.item.findMany({
    where: { catalog },
    select: { id: true, externalId: true, title: true, year: true, creators: true, genres: true, metadata: true },
  });
}

/** Positive interactions per item of the catalog. */
export async function itemPopularity(db: Db, { catalog }: { catalog: string }): Promise<Map<number, number>> {
  const counts = await db.$queryRaw<{ itemId: number | bigint; n: number | bigint }[]>`
    SELECT i.item_id AS "itemId", COUNT(*) AS n FROM interactions i
    JOIN items it ON it.id = i.item_id
    WHERE it.catalog = ${catalog} AND ${positiveInteraction("i")}
    GROUP BY i.item_id`;
  return new Map(counts.map((c) => [Number(c.itemId), Number(c.n)]));
}

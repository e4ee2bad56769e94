import "server-only";
import type { Db } from "../client";

/** The cards of answers: one row per item shown, with its rank, source and explanation. */

export async function createRecommendation(
  db: Db,
  data: { messageId: string; itemId: number; rank: number; score: number; modelVersion: string; reason: string; explanation: string },
): Promise<{ id: string }> {
  return db.recommendation.create({ data, select: { id: true } });
}

export async function setExplanation(db: Db, { id, explanation }: { id: string; explanation: string }): Promise<void> {
  await db.recommendation.update({ where: { id }, data: { explanation } });
}

/** Every item the conversation's answers have shown. */
export async function itemIdsShown(db: Db, { conversationId }: { conversationId: string }): Promise<number[]> {
  const rows = await db.recommendation.findMany({ where: { message: { conversationId } }, select: { itemId: true } });
  return rows.map((r) => r.itemId);
}

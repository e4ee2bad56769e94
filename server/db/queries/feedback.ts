import "server-only";
import type { FeedbackKindName } from "../../chat/types";
import type { Db } from "../client";
import { forgetDailyMetrics } from "./insights";

/**
 * Feedback on a recommended item. Each kind is a toggle for the user (click thumbs up again to
 * take it back); thumbs up and thumbs down exclude each other. Every feedback row also becomes
 * an Interaction, the training data of the next model update, and is removed with it.
 */

const INTERACTION_FOR = {
  thumbs_up: "like",
  thumbs_down: "dislike",
  save: "save",
  not_interested: "not_interested",
  click: "click",
} as const;

const OPPOSITE: Partial<Record<FeedbackKindName, FeedbackKindName>> = {
  thumbs_up: "thumbs_down",
  thumbs_down: "thumbs_up",
};

export class FeedbackTargetError extends Error {
  constructor() {
    super("That recommendation does not exist or is not yours.");
  }
}

/** Applies one feedback click and returns the kinds now active on the recommendation. */
export async function toggleFeedback(
  db: Db,
  { userId, recommendationId, kind }: { userId: string; recommendationId: string; kind: FeedbackKindName },
): Promise<FeedbackKindName[]> {
  const recommendation = await db.recommendation.findFirst({
    where: { id: recommendationId, message: { conversation: { userId } } },
    select: { id: true, itemId: true, createdAt: true },
  });
  if (!recommendation) throw new FeedbackTargetError();

  await db.$transaction(async (tx) => {
    const existing = await tx.feedback.findMany({ where: { recommendationId, userId }, select: { id: true, kind: true } });
    const remove = existing.filter(
      (f) => (f.kind === kind && kind !== "click") || f.kind === OPPOSITE[kind],
    );
    const isUndo = kind !== "click" && existing.some((f) => f.kind === kind);
    if (remove.length) {
      const ids = remove.map((f) => f.id);
      await tx.interaction.deleteMany({ where: { source: { in: ids.map((id) => `feedback:${id}`) } } });
      await tx.feedback.deleteMany({ where: { id: { in: ids } } });
    }
    if (isUndo) return;
    const feedback = await tx.feedback.create({ data: { recommendationId, userId, kind } });
    await tx.interaction.create({
      data: {
        userId,
        itemId: recommendation.itemId,
        kind: INTERACTION_FOR[kind],
        at: feedback.createdAt,
        source: `feedback:${feedback.id}`,
      },
    });
  });
  // Insights' stored figures for the card's day are now out of date (none are stored for today: a no-op then).
  await forgetDailyMetrics(db, { day: recommendation.createdAt.toISOString().slice(0, 10) });
  return activeFeedback(db, { userId, recommendationIds: [recommendationId] }).then((m) => m[recommendationId] ?? []);
}

/** Active feedback kinds per recommendation, for rendering cards after a reload. */
export async function activeFeedback(
  db: Db,
  { userId, recommendationIds }: { userId: string; recommendationIds: string[] },
): Promise<Record<string, FeedbackKindName[]>> {
  if (recommendationIds.length === 0) return {};
  const rows = await db.feedback.findMany({
    where: { userId, recommendationId: { in: recommendationIds }, kind: { not: "click" } },
    select: { recommendationId: true, kind: true },
  });
  const byRecommendation: Record<string, FeedbackKindName[]> = {};
  for (const row of rows) (byRecommendation[row.recommendationId] ??= []).push(row.kind);
  return byRecommendation;
}


import type { Db } from "../db/client";
import { dislikes } from "../db/queries/interactions";

/**
 * How a thumbs down lowers an item for the user who gave it. In the conversation where it was given
 * the item never comes back (an answer never repeats what the conversation has shown). Elsewhere it
 * sinks in the list by a weight 1 − 2^(−age / half-life) (server/recommend/baseline sinkDisliked):
 * below every other pick right after the click, its position doubled after DISLIKE_HALF_LIFE_DAYS,
 * nearly back (weight 0.94) after four half-lives. Taking the thumbs down back removes it.
 * ("Not interested" is stronger: never again, anywhere.)
 */
export const DISLIKE_HALF_LIFE_DAYS = 14;
const DAY_MS = 86_400_000;

export function dislikeWeight(age: number): number {
  return 1 - 2 ** (-Math.max(0, age) / (DISLIKE_HALF_LIFE_DAYS * DAY_MS));
}

/** The user's thumbs-down items with their weight now (the newest thumbs down per item counts). */
export async function dislikeWeights(db: Db, { userId, now = new Date() }: { userId: string; now?: Date }): Promise<Map<number, number>> {
  const rows = await dislikes(db, { userId });
  return new Map(rows.map((r) => [r.itemId, dislikeWeight(now.getTime() - r.at.getTime())]));
}

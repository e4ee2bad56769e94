import "server-only";
import type { Db } from "../client";

/**
 * The explanation a merchandiser approved (as written) or edited for an item and reason, if the
 * latest decision on that pair is one of those; a later rejection withdraws it.
 */
export async function approvedExplanation(db: Db, { itemId, reason }: { itemId: number; reason: string }): Promise<string | null> {
  const latest = await db.explanationReview.findFirst({
    where: { itemId, reason, status: { in: ["approved", "edited", "rejected"] } },
    orderBy: { createdAt: "desc" },
    select: { status: true, originalText: true, editedText: true },
  });
  if (!latest || latest.status === "rejected") return null;
  return latest.status === "edited" ? (latest.editedText ?? latest.originalText) : latest.originalText;
}

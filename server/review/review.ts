import "server-only";
import { z } from "zod";
import { cleanText } from "../chat/clean-text";
import type { Db } from "../db/client";
import { existingItemIds, recordReviews, type QueueFilters } from "../db/queries/reviews";
import { AppError } from "../http/errors";

/**
 * The merchandisers' review queue: what the page's filters mean, and decisions checked before
 * they are stored (items exist, an edit says something, texts are clean).
 */
export const MAX_EXPLANATION_CHARS = 1000;
const MAX_BULK = 200;

const optionalText = z.string().trim().max(200).optional().transform((v) => v || undefined);
const optionalDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "dates are YYYY-MM-DD")
  .optional()
  .or(z.literal("").transform(() => undefined));

/** The page's query string (?item=&version=&status=&reason=&words=&from=&to=&page=), validated. */
export const QueueQuery = z.object({
  item: optionalText,
  version: optionalText,
  status: z.enum(["pending", "approved", "edited", "rejected"]).optional().or(z.literal("").transform(() => undefined)),
  reason: optionalText,
  words: optionalText,
  from: optionalDate,
  to: optionalDate,
  page: z.coerce.number().int().min(1).max(10_000).optional().default(1),
});
export type QueueQuery = z.infer<typeof QueueQuery>;

export function queueFilters(query: QueueQuery): QueueFilters {
  const day = (d: string) => new Date(`${d}T00:00:00Z`);
  return {
    item: query.item,
    modelVersion: query.version,
    status: query.status,
    reason: query.reason,
    words: query.words,
    from: query.from ? day(query.from) : undefined,
    // "to" is inclusive: up to the end of that day.
    to: query.to ? new Date(day(query.to).getTime() + 86_400_000) : undefined,
  };
}

const Entry = z.object({ itemId: z.number().int().positive(), reason: z.string().min(1).max(500), text: z.string().min(1).max(5000) });
export const DecisionInput = z.object({ decision: z.enum(["approved", "rejected"]), entries: z.array(Entry).min(1).max(MAX_BULK) });
export const EditInput = Entry.extend({ editedText: z.string() });

/** Approves or rejects texts as they were shown; refuses the whole batch if any item is unknown. */
export async function decide(db: Db, reviewerId: string, input: z.infer<typeof DecisionInput>): Promise<number> {
  await requireItems(db, input.entries.map((e) => e.itemId));
  return recordReviews(db, {
    reviewerId,
    reviews: input.entries.map((e) => ({ itemId: e.itemId, reason: e.reason, originalText: e.text, status: input.decision })),
  });
}

/** Replaces a text: the edit is served from now on for that item and reason. */
export async function edit(db: Db, reviewerId: string, input: z.infer<typeof EditInput>): Promise<void> {
  const editedText = cleanText(input.editedText).replace(/\s+/g, " ").trim();
  if (!editedText) throw new AppError("bad_request:empty_edit", "The new text is empty: write something, or reject the text instead.");
  if (editedText.length > MAX_EXPLANATION_CHARS) {
    throw new AppError("bad_request:long_edit", `The new text is too long (${editedText.length} characters; the limit is ${MAX_EXPLANATION_CHARS}).`);
  }
  await requireItems(db, [input.itemId]);
  await recordReviews(db, { reviewerId, reviews: [{ itemId: input.itemId, reason: input.reason, originalText: input.text, status: "edited", editedText }] });
}

async function requireItems(db: Db, ids: number[]): Promise<void> {
  const found = await existingItemIds(db, { ids });
  const missing = [...new Set(ids)].filter((id) => !found.has(id));
  if (missing.length > 0) throw new AppError("not_found:item", `No item with the id ${missing.join(", ")}: it may have been deleted. Reload the queue.`);
}

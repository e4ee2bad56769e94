import "server-only";
import { containsText, type Db } from "../client";

/**
 * Merchandisers' decisions on explanation text. Each decision is its own row (the audit trail);
 * the latest decision on an (item, reason) pair is what the chat serves:
 * - approved: the text as written, for every later card of that item and reason;
 * - edited: the merchandiser's text instead;
 * - rejected: nothing reviewed; the turn writes a new text, and never serves a rejected one.
 */
export type ReviewStatus = "pending" | "approved" | "edited" | "rejected";
export type Decision = "approved" | "edited" | "rejected";

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

/** Texts rejected for this item and reason (compared without case and spacing), which the chat must not serve. */
export async function rejectedExplanations(db: Db, { itemId, reason }: { itemId: number; reason: string }): Promise<Set<string>> {
  const rows = await db.explanationReview.findMany({ where: { itemId, reason, status: "rejected" }, select: { originalText: true } });
  return new Set(rows.map((r) => normalizeExplanation(r.originalText)));
}

export function normalizeExplanation(text: string): string {
  return text.replace(/\s+/g, " ").trim().toLowerCase();
}

export type QueueFilters = {
  item?: string; // words of the title
  modelVersion?: string;
  status?: ReviewStatus;
  reason?: string;
  words?: string; // words in the text
  from?: Date;
  to?: Date;
};

export type QueueRow = {
  itemId: number;
  title: string;
  reason: string;
  text: string;
  shown: number;
  lastShown: Date;
  modelVersions: string[];
  status: ReviewStatus;
  editedText: string | null;
};

// Distinct texts read per page of the queue before the status filter (which needs the decisions).
const QUEUE_SCAN = 2000;

/** Generated explanations, one row per distinct (item, reason, text), most shown first. */
export async function explanationQueue(db: Db, filters: QueueFilters, { take = 50, skip = 0 } = {}): Promise<{ rows: QueueRow[]; total: number }> {
  const itemIds = filters.item
    ? (await db.item.findMany({ where: { title: containsText(db, filters.item) }, select: { id: true }, take: 500 })).map((i) => i.id)
    : undefined;
  const groups = await db.recommendation.groupBy({
    by: ["itemId", "reason", "explanation"],
    where: {
      explanation: filters.words ? containsText(db, filters.words) : { not: "" },
      ...(itemIds ? { itemId: { in: itemIds } } : {}),
      ...(filters.modelVersion ? { modelVersion: filters.modelVersion } : {}),
      ...(filters.reason ? { reason: containsText(db, filters.reason) } : {}),
      ...(filters.from || filters.to ? { createdAt: { ...(filters.from ? { gte: filters.from } : {}), ...(filters.to ? { lt: filters.to } : {}) } } : {}),
    },
    _count: { _all: true },
    _max: { createdAt: true },
    orderBy: [{ _count: { itemId: "desc" } }, { _max: { createdAt: "desc" } }],
    take: QUEUE_SCAN,
  });
  if (groups.length === 0) return { rows: [], total: 0 };

  const groupItemIds = [...new Set(groups.map((g) => g.itemId))];
  const [items, decisions, versions] = await Promise.all([
    db.item.findMany({ where: { id: { in: groupItemIds } }, select: { id: true, title: true } }),
    db.explanationReview.findMany({
      where: { itemId: { in: groupItemIds } },
      orderBy: { createdAt: "asc" },
      select: { itemId: true, reason: true, originalText: true, status: true, editedText: true },
    }),
    db.recommendation.groupBy({
      by: ["itemId", "reason", "explanation", "modelVersion"],
      where: { itemId: { in: groupItemIds }, explanation: { not: "" } },
    }),
  ]);
  const key = (itemId: number, reason: string, text: string) => `${itemId}\u0000${reason}\u0000${text}`;
  const titles = new Map(items.map((i) => [i.id, i.title]));
  const latest = new Map<string, { status: ReviewStatus; editedText: string | null }>();
  for (const d of decisions) latest.set(key(d.itemId, d.reason, d.originalText), { status: d.status, editedText: d.editedText });
  const versionsOf = new Map<string, string[]>();
  for (const v of versions) {
    const k = key(v.itemId, v.reason, v.explanation);
    versionsOf.set(k, [...(versionsOf.get(k) ?? []), v.modelVersion]);
  }
  const all: QueueRow[] = groups.map((g) => {
    const k = key(g.itemId, g.reason, g.explanation);
    const decision = latest.get(k);
    return {
      itemId: g.itemId,
      title: titles.get(g.itemId) ?? `#${g.itemId}`,
      reason: g.reason,
      text: g.explanation,
      shown: g._count._all,
      lastShown: g._max.createdAt!,
      modelVersions: (versionsOf.get(k) ?? []).sort(),
      status: decision?.status ?? "pending",
      editedText: decision?.status === "edited" ? decision.editedText : null,
    };
  });
  const matching = filters.status ? all.filter((r) => r.status === filters.status) : all;
  return { rows: matching.slice(skip, skip + take), total: matching.length };
}

/** The model versions that have written explanations, for the queue's filter. */
export async function explanationModelVersions(db: Db): Promise<string[]> {
  const rows = await db.recommendation.findMany({ distinct: ["modelVersion"], select: { modelVersion: true }, orderBy: { modelVersion: "asc" } });
  return rows.map((r) => r.modelVersion);
}

export type ReviewInput = { itemId: number; reason: string; originalText: string; status: Decision; editedText?: string };

/** Records decisions (one row each, in one transaction); returns how many. */
export async function recordReviews(db: Db, { reviewerId, reviews }: { reviewerId: string; reviews: ReviewInput[] }): Promise<number> {
  await db.$transaction(
    reviews.map((r) =>
      db.explanationReview.create({
        data: {
          itemId: r.itemId,
          reason: r.reason,
          originalText: r.originalText,
          status: r.status,
          editedText: r.status === "edited" ? (r.editedText ?? null) : null,
          reviewerId,
        },
      }),
    ),
  );
  return reviews.length;
}

export type AuditEntry = { at: Date; reviewer: string; reason: string; status: Decision; originalText: string; editedText: string | null };

/** Every decision on an item, newest first, with who made it. */
export async function reviewHistory(db: Db, { itemId }: { itemId: number }): Promise<{ title: string; entries: AuditEntry[] } | null> {
  const item = await db.item.findUnique({ where: { id: itemId }, select: { title: true } });
  if (!item) return null;
  const rows = await db.explanationReview.findMany({
    where: { itemId, status: { not: "pending" } },
    orderBy: { createdAt: "desc" },
    select: { createdAt: true, reason: true, status: true, originalText: true, editedText: true, reviewer: { select: { email: true, name: true } } },
  });
  return {
    title: item.title,
    entries: rows.map((r) => ({
      at: r.createdAt,
      reviewer: r.reviewer?.email ?? "a deleted account",
      reason: r.reason,
      status: r.status as Decision,
      originalText: r.originalText,
      editedText: r.editedText,
    })),
  };
}

/** Items exist (a decision on an unknown item is refused before anything is written). */
export async function existingItemIds(db: Db, { ids }: { ids: number[] }): Promise<Set<number>> {
  const rows = await db.item.findMany({ where: { id: { in: ids } }, select: { id: true } });
  return new Set(rows.map((r) => r.id));
}

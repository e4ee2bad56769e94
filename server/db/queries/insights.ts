import "server-only";
import { Prisma } from "../generated/sqlite/client";
import type { Db } from "../client";

/**
 * Aggregates for the product team's /insights page, computed in the database (one pass over the
 * cards shown in the range, with their feedback). A card's feedback counts on the day the card was
 * shown, so a day's figures do not change shape as late reactions arrive.
 */
export type DailyVersionRow = {
  day: string; // YYYY-MM-DD, UTC
  modelVersion: string;
  cards: number;
  users: number;
  /** Σ over users of (positive reactions / cards shown); over `users`, gorse's positive-feedback rate. */
  positiveRateSum: number;
  thumbsUp: number;
  thumbsDown: number;
  saves: number;
  clicks: number;
  notInterested: number;
  distinctItems: number;
};

const isPostgres = (db: Db) => (db as unknown as { _activeProvider: string })._activeProvider === "postgresql";

/** A day label for a timestamp column: SQLite stores ISO text; PostgreSQL a timestamp (UTC). */
function day(db: Db, column: string): Prisma.Sql {
  return Prisma.raw(isPostgres(db) ? `to_char(${column}, 'YYYY-MM-DD')` : `substr(${column}, 1, 10)`);
}

/** A time bound as each database compares it: SQLite compares Prisma's ISO text, PostgreSQL timestamps. */
function at(db: Db, date: Date): Date | string {
  return isPostgres(db) ? date : date.toISOString().replace("Z", "+00:00");
}

export async function dailyMetrics(db: Db, { from, to }: { from: Date; to: Date }): Promise<DailyVersionRow[]> {
  const rows = await db.$queryRaw<Record<string, unknown>[]>(Prisma.sql`
    WITH cards AS (
      SELECT r.id, r.item_id, r.model_version, ${day(db, "r.created_at")} AS day, c.user_id
      FROM recommendations r
      JOIN messages m ON m.id = r.message_id
      JOIN conversations c ON c.id = m.conversation_id
      WHERE r.created_at >= ${at(db, from)} AND r.created_at < ${at(db, to)}
    ),
    reactions AS (
      SELECT f.recommendation_id AS id,
        MAX(CASE WHEN f.kind IN ('thumbs_up', 'save') THEN 1 ELSE 0 END) AS positive,
        MAX(CASE WHEN f.kind = 'thumbs_up' THEN 1 ELSE 0 END) AS thumbs_up,
        MAX(CASE WHEN f.kind = 'thumbs_down' THEN 1 ELSE 0 END) AS thumbs_down,
        MAX(CASE WHEN f.kind = 'save' THEN 1 ELSE 0 END) AS saves,
        MAX(CASE WHEN f.kind = 'click' THEN 1 ELSE 0 END) AS clicks,
        MAX(CASE WHEN f.kind = 'not_interested' THEN 1 ELSE 0 END) AS not_interested
      FROM feedback f JOIN cards ON cards.id = f.recommendation_id
      GROUP BY f.recommendation_id
    ),
    per_user AS (
      SELECT cards.day, cards.model_version, cards.user_id, COUNT(*) AS cards,
        SUM(COALESCE(reactions.positive, 0)) AS positive,
        SUM(COALESCE(reactions.thumbs_up, 0)) AS thumbs_up,
        SUM(COALESCE(reactions.thumbs_down, 0)) AS thumbs_down,
        SUM(COALESCE(reactions.saves, 0)) AS saves,
        SUM(COALESCE(reactions.clicks, 0)) AS clicks,
        SUM(COALESCE(reactions.not_interested, 0)) AS not_interested
      FROM cards LEFT JOIN reactions ON reactions.id = cards.id
      GROUP BY cards.day, cards.model_version, cards.user_id
    ),
    per_day AS (
      SELECT day, model_version, SUM(cards) AS cards, COUNT(*) AS users, SUM(1.0 * positive / cards) AS positive_rate_sum,
        SUM(thumbs_up) AS thumbs_up, SUM(thumbs_down) AS thumbs_down, SUM(saves) AS saves, SUM(clicks) AS clicks,
        SUM(not_interested) AS not_interested
      FROM per_user GROUP BY day, model_version
    ),
    items AS (
      SELECT day, model_version, COUNT(DISTINCT item_id) AS distinct_items FROM cards GROUP BY day, model_version
    )
    SELECT per_day.*, items.distinct_items
    FROM per_day JOIN items ON items.day = per_day.day AND items.model_version = per_day.model_version
    ORDER BY per_day.day, per_day.model_version`);
  return rows.map((r) => ({
    day: String(r.day),
    modelVersion: String(r.model_version),
    cards: Number(r.cards),
    users: Number(r.users),
    positiveRateSum: Number(r.positive_rate_sum),
    thumbsUp: Number(r.thumbs_up),
    thumbsDown: Number(r.thumbs_down),
    saves: Number(r.saves),
    clicks: Number(r.clicks),
    notInterested: Number(r.not_interested),
    distinctItems: Number(r.distinct_items),
  }));
}

export type LatencyRow = { day: string; modelVersion: string; ms: number };

/** First-card latencies of the answers in the range, with the version that ranked their first card. */
export async function firstCardLatencies(db: Db, { from, to }: { from: Date; to: Date }): Promise<LatencyRow[]> {
  const rows = await db.$queryRaw<{ day: string; model_version: string; ms: number | bigint }[]>(Prisma.sql`
    SELECT ${day(db, "r.created_at")} AS day, r.model_version, m.first_card_ms AS ms
    FROM recommendations r JOIN messages m ON m.id = r.message_id
    WHERE r.rank = 1 AND m.first_card_ms IS NOT NULL AND r.created_at >= ${at(db, from)} AND r.created_at < ${at(db, to)}`);
  return rows.map((r) => ({ day: String(r.day), modelVersion: r.model_version, ms: Number(r.ms) }));
}

export type StoredDay = DailyVersionRow & { latencyHistogram: Record<string, number> };

/** Stored figures for whole days in [fromDay, toDay). */
export async function storedDailyMetrics(db: Db, { fromDay, toDay }: { fromDay: string; toDay: string }): Promise<StoredDay[]> {
  const rows = await db.dailyMetric.findMany({ where: { day: { gte: fromDay, lt: toDay } } });
  return rows.map(({ computedAt: _computedAt, latencyHistogram, ...r }) => ({ ...r, latencyHistogram: latencyHistogram as Record<string, number> }));
}

/**
 * Stores computed days (replacing any rows of those days). Two viewers computing the same days at
 * once store the same figures: the loser's unique-key error is ignored.
 */
export async function saveDailyMetrics(db: Db, { days, rows }: { days: string[]; rows: StoredDay[] }): Promise<void> {
  try {
    await db.$transaction([db.dailyMetric.deleteMany({ where: { day: { in: days } } }), db.dailyMetric.createMany({ data: rows })]);
  } catch (error) {
    if ((error as { code?: string }).code !== "P2002") throw error;
  }
}

/** Forgets a day's stored figures (a reaction changed them); the next view computes them again. */
export async function forgetDailyMetrics(db: Db, { day }: { day: string }): Promise<void> {
  await db.dailyMetric.deleteMany({ where: { day } });
}

export async function catalogSize(db: Db): Promise<number> {
  return db.item.count();
}

export type UpdateRecord = {
  id: string;
  catalog: string;
  status: string;
  stage: string;
  progress: number;
  error: string | null;
  outputPath: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  log: string;
  version: string | null;
  by: string | null;
};

export async function updateHistory(db: Db, { take = 20 } = {}): Promise<UpdateRecord[]> {
  const rows = await db.updateJob.findMany({
    orderBy: { createdAt: "desc" },
    take,
    select: {
      id: true, catalog: true, status: true, stage: true, progress: true, error: true, outputPath: true, createdAt: true, startedAt: true, finishedAt: true, log: true,
      modelVersion: { select: { name: true } },
      createdBy: { select: { email: true } },
    },
  });
  return rows.map(({ modelVersion, createdBy, ...r }) => ({ ...r, version: modelVersion?.name ?? null, by: createdBy?.email ?? null }));
}

import "server-only";
import type { Db } from "../db/client";
import { dailyMetrics, firstCardLatencies, saveDailyMetrics, storedDailyMetrics, type StoredDay } from "../db/queries/insights";

/**
 * Daily figures per model version for a range of days: whole past days from the `daily_metrics`
 * rollup (computed and stored the first time they are asked for), today computed live. Latencies
 * are kept as histograms so that days add up: 10 ms buckets up to 2 s, then 5 % wider each.
 */
const DAY_MS = 86_400_000;
const LINEAR_UNTIL_MS = 2000;
const LINEAR_STEP_MS = 10;
const GROWTH = 1.05;

export function latencyBucket(ms: number): number {
  if (ms < LINEAR_UNTIL_MS) return Math.floor(Math.max(0, ms) / LINEAR_STEP_MS);
  return LINEAR_UNTIL_MS / LINEAR_STEP_MS + Math.floor(Math.log(ms / LINEAR_UNTIL_MS) / Math.log(GROWTH));
}

/** A bucket's middle, in ms. */
export function bucketMiddle(bucket: number): number {
  const linear = LINEAR_UNTIL_MS / LINEAR_STEP_MS;
  if (bucket < linear) return bucket * LINEAR_STEP_MS + LINEAR_STEP_MS / 2;
  const low = LINEAR_UNTIL_MS * GROWTH ** (bucket - linear);
  return (low * (1 + GROWTH)) / 2;
}

export function addHistograms(histograms: Record<string, number>[]): Map<number, number> {
  const total = new Map<number, number>();
  for (const h of histograms) for (const [b, n] of Object.entries(h)) total.set(Number(b), (total.get(Number(b)) ?? 0) + n);
  return total;
}

/** The p-quantile of a histogram (the middle of the bucket holding it); null when empty. */
export function histogramQuantile(histogram: Map<number, number>, p: number): number | null {
  const count = [...histogram.values()].reduce((a, b) => a + b, 0);
  if (count === 0) return null;
  const rank = Math.min(count - 1, Math.floor(p * count));
  let seen = 0;
  for (const b of [...histogram.keys()].sort((x, y) => x - y)) {
    seen += histogram.get(b)!;
    if (seen > rank) return bucketMiddle(b);
  }
  return null;
}

const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);

/** Computes [from, to) straight from the cards: one row per (day, version), and a zero row for each day without cards. */
async function compute(db: Db, from: number, to: number): Promise<StoredDay[]> {
  const range = { from: new Date(from), to: new Date(to) };
  const [rows, latencies] = await Promise.all([dailyMetrics(db, range), firstCardLatencies(db, range)]);
  const histograms = new Map<string, Record<string, number>>();
  for (const l of latencies) {
    const key = `${l.day}|${l.modelVersion}`;
    const h = histograms.get(key) ?? {};
    const b = latencyBucket(l.ms);
    h[b] = (h[b] ?? 0) + 1;
    histograms.set(key, h);
  }
  const out: StoredDay[] = rows.map((r) => ({ ...r, latencyHistogram: histograms.get(`${r.day}|${r.modelVersion}`) ?? {} }));
  const withCards = new Set(rows.map((r) => r.day));
  for (let t = from; t < to; t += DAY_MS) {
    const day = dayOf(t);
    if (!withCards.has(day)) {
      out.push({ day, modelVersion: "", cards: 0, users: 0, positiveRateSum: 0, thumbsUp: 0, thumbsDown: 0, saves: 0, clicks: 0, notInterested: 0, distinctItems: 0, latencyHistogram: {} });
    }
  }
  return out;
}

/** Figures for every day in [from, to) (whole UTC days), rows with cards only. */
export async function dailyFigures(db: Db, { from, to }: { from: Date; to: Date }, now = new Date()): Promise<StoredDay[]> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const start = from.getTime();
  const pastEnd = Math.min(to.getTime(), today);
  const out: StoredDay[] = [];
  if (start < pastEnd) {
    const stored = await storedDailyMetrics(db, { fromDay: dayOf(start), toDay: dayOf(pastEnd) });
    out.push(...stored);
    // Compute the missing past days, one run of consecutive days at a time, and keep them.
    const have = new Set(stored.map((r) => r.day));
    let runStart: number | null = null;
    for (let t = start; t <= pastEnd; t += DAY_MS) {
      const missing = t < pastEnd && !have.has(dayOf(t));
      if (missing && runStart === null) runStart = t;
      if (!missing && runStart !== null) {
        const rows = await compute(db, runStart, t);
        const days = [];
        for (let d = runStart; d < t; d += DAY_MS) days.push(dayOf(d));
        await saveDailyMetrics(db, { days, rows });
        out.push(...rows);
        runStart = null;
      }
    }
  }
  if (to.getTime() > today) out.push(...(await compute(db, Math.max(start, today), to.getTime())));
  return out.filter((r) => r.cards > 0);
}

/** Computes and stores every missing past day of the last year (run in the background at start-up). */
export async function warmRollup(db: Db, now = new Date()): Promise<void> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  await dailyFigures(db, { from: new Date(today - 366 * DAY_MS), to: new Date(today) }, now);
}

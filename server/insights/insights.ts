import "server-only";
import { z } from "zod";
import type { Db } from "../db/client";
import { catalogSize, updateHistory, type StoredDay } from "../db/queries/insights";
import { listVersions } from "../db/queries/models";
import { addHistograms, dailyFigures, histogramQuantile } from "./rollup";

/**
 * What the product team sees at /insights: feedback rates per model version and over time, with
 * the change against the previous period of the same length.
 * - positive-feedback rate: gorse's — per day, the mean over users of their positive reactions
 *   (👍 or save) over the cards they were shown; a period's figure weights days by users;
 * - thumbs-down, click-through, save and "not interested" rates: reactions over cards shown;
 * - catalog coverage: per day, the distinct items recommended over the catalog's size; a period's
 *   figure is the mean over its days with cards (versions serving side by side on one day are
 *   added, which counts an item both recommended twice);
 * - first-card latency: from the question stored to the first card written, p50 and p95.
 */
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "dates are YYYY-MM-DD");
export const InsightsQuery = z.object({
  from: day.optional().or(z.literal("").transform(() => undefined)),
  to: day.optional().or(z.literal("").transform(() => undefined)),
});
export type InsightsQuery = z.infer<typeof InsightsQuery>;

const DAY_MS = 86_400_000;
export const DEFAULT_DAYS = 30;
const MAX_DAYS = 731;

export type Range = { from: Date; to: Date }; // to is exclusive
export type Rates = {
  cards: number;
  users: number;
  positiveRate: number | null;
  thumbsDownRate: number | null;
  clickRate: number | null;
  saveRate: number | null;
  notInterestedRate: number | null;
  coverage: number | null;
  latencyP50: number | null;
  latencyP95: number | null;
};
export type DayPoint = { day: string; positiveRate: number | null; thumbsDownRate: number | null; clickRate: number | null; saveRate: number | null; notInterestedRate: number | null; latencyP50: number | null; latencyP95: number | null };
export type VersionSummary = { name: string; status: string | null; hr1: number | null; rates: Rates };

/** The period asked for (default: the last 30 days up to today), and the one just before it. */
export function periods(query: InsightsQuery, now = new Date()): { current: Range; previous: Range; days: string[]; error: string | null } {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  let to = query.to ? Date.parse(`${query.to}T00:00:00Z`) + DAY_MS : today + DAY_MS;
  let from = query.from ? Date.parse(`${query.from}T00:00:00Z`) : to - DEFAULT_DAYS * DAY_MS;
  let error: string | null = null;
  if (from >= to) {
    error = "The start date is after the end date; showing the 30 days up to the end date.";
    from = to - DEFAULT_DAYS * DAY_MS;
  }
  if (to - from > MAX_DAYS * DAY_MS) {
    error = `A range is at most ${MAX_DAYS} days; showing the last ${MAX_DAYS} days of it.`;
    from = to - MAX_DAYS * DAY_MS;
  }
  to = Math.max(to, from + DAY_MS);
  const days = Array.from({ length: Math.round((to - from) / DAY_MS) }, (_, i) => new Date(from + i * DAY_MS).toISOString().slice(0, 10));
  return { current: { from: new Date(from), to: new Date(to) }, previous: { from: new Date(2 * from - to), to: new Date(from) }, days, error };
}


/** Rates over a set of (day, version) rows. */
function ratesOf(rows: StoredDay[], catalog: number): Rates {
  const cards = rows.reduce((n, r) => n + r.cards, 0);
  const users = rows.reduce((n, r) => n + r.users, 0);
  const per = (pick: (r: StoredDay) => number) => (cards ? rows.reduce((n, r) => n + pick(r), 0) / cards : null);
  const latency = addHistograms(rows.map((r) => r.latencyHistogram));
  const itemsOn = groupBy(rows, (r) => r.day);
  const coverage = catalog && itemsOn.size ? [...itemsOn.values()].reduce((n, day) => n + day.reduce((m, r) => m + r.distinctItems, 0) / catalog, 0) / itemsOn.size : null;
  return {
    cards,
    users,
    positiveRate: users ? rows.reduce((n, r) => n + r.positiveRateSum, 0) / users : null,
    thumbsDownRate: per((r) => r.thumbsDown),
    clickRate: per((r) => r.clicks),
    saveRate: per((r) => r.saves),
    notInterestedRate: per((r) => r.notInterested),
    coverage,
    latencyP50: histogramQuantile(latency, 0.5),
    latencyP95: histogramQuantile(latency, 0.95),
  };
}

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

export async function insights(db: Db, query: InsightsQuery, now = new Date()) {
  const range = periods(query, now);
  const [current, previous, catalog, versions, updates] = await Promise.all([
    dailyFigures(db, range.current, now),
    dailyFigures(db, range.previous, now),
    catalogSize(db),
    listVersions(db),
    updateHistory(db),
  ]);

  const currentOn = groupBy(current, (r) => r.day);
  const daily = range.days.map((d): DayPoint => {
    const { positiveRate, thumbsDownRate, clickRate, saveRate, notInterestedRate, latencyP50, latencyP95 } = ratesOf(currentOn.get(d) ?? [], catalog);
    return { day: d, positiveRate, thumbsDownRate, clickRate, saveRate, notInterestedRate, latencyP50, latencyP95 };
  });
  // One line per model version on the positive-rate chart; a day without that version's cards is a gap.
  const versionNames = [...new Set(current.map((r) => r.modelVersion))].sort();
  const positiveByVersion = range.days.map((d) => {
    const point: Record<string, string | number | null> = { day: d };
    for (const v of versionNames) {
      const row = currentOn.get(d)?.find((r) => r.modelVersion === v);
      point[v] = row && row.users ? row.positiveRateSum / row.users : null;
    }
    return point;
  });

  const known = new Map(versions.map((v) => [v.name, v]));
  const versionSummaries: VersionSummary[] = versionNames.map((name) => ({
    name,
    status: known.get(name)?.status ?? null,
    hr1: known.get(name)?.hr1 ?? null,
    rates: ratesOf(current.filter((r) => r.modelVersion === name), catalog),
  }));

  return {
    range,
    stats: { current: ratesOf(current, catalog), previous: ratesOf(previous, catalog) },
    daily,
    positiveByVersion,
    versionNames,
    versions: versionSummaries,
    offline: versions,
    updates,
  };
}
export type Insights = Awaited<ReturnType<typeof insights>>;

import type { Db } from "../db/client";
import { type CatalogEntry, type CatalogIndex } from "../catalog/catalog-index";
import { type CoCount, cooccurrence, recentPositiveCandidates } from "../db/queries/interactions";
import { matchesRequest } from "../understand/filters";
import type { Request } from "../understand/request";
import { shortTitle } from "../understand/request";
import type { CatalogNouns } from "../catalog/nouns";

/**
 * The non-LLM baseline: item co-occurrence over stored interactions ("people who liked X also
 * liked Y"), normalised so that blockbusters do not win every list, then popularity within the
 * request's filters for cold starts and to fill short lists.
 */

export type BaselinePick = {
  entry: CatalogEntry;
  score: number;
  /** Why it is a candidate, stable across requests ("similar to Dune"): the key merchandisers review under. */
  reason: string;
  /** The evidence in words shown to the user ("42 readers who liked Dune also liked it"). */
  evidence: string;
  source: "baseline:cooccurrence" | "baseline:popularity" | "baseline:series" | "sasrec";
};

export type BaselineResult = {
  picks: BaselinePick[];
  /**
   * The items the list was built around (named in the message, or the user's own history), OLDEST
   * FIRST — the order SASRec and the LLM's prompt read a history in. Items named in one message
   * count in the order they were named.
   */
  seeds: CatalogEntry[];
  seedsFrom: "message" | "conversation" | "history" | "none";
  /** Set when no item met every filter and some were dropped to answer at all. */
  relaxed: string | null;
};

// Damping for the co-occurrence score shared / sqrt(popularity + DAMPING): keeps a niche item
// with 3 shared readers out of the top unless its overlap is real.
const DAMPING = 20;
// How much an item fitting the request's mood ("something light") is preferred.
const MOOD_BOOST = 1.5;
const moodBoost = (entry: CatalogEntry, request: Request) =>
  request.moodGenres.some((g) => entry.genres.includes(g)) ? MOOD_BOOST : 1;
const MAX_SEEDS = 20;

/**
 * Thumbs-down items sink: the pick at position p (1-based) moves to p / weight, weight in [0, 1]
 * from the user's thumbs down (server/feedback dislikeWeights); weight 0 puts it below every other
 * pick, and a tie goes against it. Positions, not scores, so that it works the same on every source
 * of picks and on the model's ranking.
 */
export function sinkDisliked<T extends { entry: CatalogEntry }>(picks: T[], demote: Map<number, number>): T[] {
  if (demote.size === 0) return picks;
  return picks
    .map((pick, i) => {
      const weight = demote.get(pick.entry.id) ?? 1;
      return { pick, weight, key: (i + 1) / weight };
    })
    .sort((a, b) => a.key - b.key || b.weight - a.weight) // a tie goes against the disliked pick
    .map((x) => x.pick);
}

/** The user's own most recent positive items, oldest first: the seeds when the message names none. */
async function historySeeds(db: Db, userId: string, index: CatalogIndex): Promise<CatalogEntry[]> {
  const rows = await recentPositiveCandidates(db, { userId, catalog: index.catalog, take: 200 });
  const seeds = new Map<number, CatalogEntry>();
  for (const row of rows) {
    if (row.kind === "rating" && (row.value ?? 0) < 4) continue;
    const entry = index.byId.get(row.itemId);
    if (entry) seeds.set(entry.id, entry);
    if (seeds.size >= MAX_SEEDS) break;
  }
  return [...seeds.values()].reverse();
}

function describeFilters(request: Request, nouns: CatalogNouns): string {
  const bits: string[] = [];
  if (request.genres.length) bits.push(request.genres.join(" + "));
  if (request.creators.length) bits.push(`by ${request.creators.join(" or ")}`);
  if (request.yearFrom !== null || request.yearTo !== null) bits.push(yearText(request));
  return bits.length ? `${nouns.items} (${bits.join(", ")})` : nouns.items;
}

export function yearText({ yearFrom, yearTo }: Pick<Request, "yearFrom" | "yearTo">): string {
  if (yearFrom !== null && yearTo !== null) return yearFrom === yearTo ? `from ${yearFrom}` : `from ${yearFrom}–${yearTo}`;
  if (yearFrom !== null) return `from ${yearFrom} on`;
  if (yearTo !== null) return `up to ${yearTo}`;
  return "";
}

/**
 * When a seed has few co-readers (a rare item), the next best thing: popular items sharing the
 * most genres with the seeds ("popular science fiction, like The Martian").
 */
function genreNeighbours(
  index: CatalogIndex,
  request: Request,
  seeds: CatalogEntry[],
  exclude: Set<number>,
  taken: BaselinePick[],
  count: number,
  nouns: CatalogNouns,
): BaselinePick[] {
  const takenIds = new Set(taken.map((p) => p.entry.id));
  const scored = index.entries.flatMap((entry) => {
    if (exclude.has(entry.id) || takenIds.has(entry.id) || entry.popularity === 0 || !matchesRequest(entry, request)) return [];
    let best: { seed: CatalogEntry; genres: string[] } | null = null;
    for (const seed of seeds) {
      const genres = entry.genres.filter((g) => seed.genres.includes(g));
      if (genres.length > (best?.genres.length ?? 0)) best = { seed, genres };
    }
    return best ? [{ entry, ...best }] : [];
  });
  scored.sort(
    (a, b) =>
      b.genres.length - a.genres.length ||
      b.entry.popularity * moodBoost(b.entry, request) - a.entry.popularity * moodBoost(a.entry, request),
  );
  return scored.slice(0, count).map(({ entry, seed, genres }) => {
    const kind = `${genres.slice(0, 2).join(" ").replace(/-/g, " ")} ${nouns.items}`;
    return {
      entry,
      score: genres.length,
      reason: `shares genres with ${seed.title}`,
      evidence: `Popular ${kind} like ${seed.title}: ${entry.popularity} ${nouns.people} rated it 4+ or saved it`,
      source: "baseline:popularity",
    };
  });
}

function rank(
  index: CatalogIndex,
  request: Request,
  seeds: CatalogEntry[],
  counts: CoCount[],
  exclude: Set<number>,
  limit: number,
  nouns: CatalogNouns,
): BaselinePick[] {
  const bySeed = new Map<number, { score: number; shared: number; seed: CatalogEntry }>();
  for (const row of counts) {
    const entry = index.byId.get(Number(row.itemId));
    const seed = index.byId.get(Number(row.seedId));
    if (!entry || !seed || exclude.has(entry.id) || !matchesRequest(entry, request)) continue;
    const shared = Number(row.shared);
    const score = (shared / Math.sqrt(entry.popularity + DAMPING)) * moodBoost(entry, request);
    const current = bySeed.get(entry.id);
    if (!current) bySeed.set(entry.id, { score, shared, seed });
    else {
      current.score += score;
      if (shared > current.shared) Object.assign(current, { shared, seed });
    }
  }
  const picks: BaselinePick[] = [...bySeed.entries()]
    .filter(([, v]) => v.shared >= 2)
    .sort((a, b) => b[1].score - a[1].score)
    .slice(0, limit)
    .map(([id, v]) => ({
      entry: index.byId.get(id)!,
      score: v.score,
      reason: `similar to ${v.seed.title}`,
      evidence: `${v.shared} ${nouns.people} who liked ${v.seed.title} also liked it`,
      source: "baseline:cooccurrence",
    }));

  if (picks.length < limit && seeds.length > 0) picks.push(...genreNeighbours(index, request, seeds, exclude, picks, limit - picks.length, nouns));

  if (picks.length < limit) {
    const taken = new Set(picks.map((p) => p.entry.id));
    const label = describeFilters(request, nouns);
    const popular = index.entries
      .filter((e) => !exclude.has(e.id) && !taken.has(e.id) && e.popularity > 0 && matchesRequest(e, request))
      .sort((a, b) => b.popularity * moodBoost(b, request) - a.popularity * moodBoost(a, request))
      .slice(0, limit - picks.length);
    for (const entry of popular) {
      picks.push({
        entry,
        score: entry.popularity,
        reason: `popular ${label}`,
        evidence: `One of the most popular ${label} here: ${entry.popularity} ${nouns.people} rated it 4+ or saved it`,
        source: "baseline:popularity",
      });
    }
  }
  return picks;
}

export async function recommendBaseline(
  db: Db,
  {
    index,
    request,
    userId,
    exclude,
    nouns,
    conversationItems = [],
    demote = new Map(),
    limit = 5,
  }: {
    index: CatalogIndex;
    request: Request;
    userId: string;
    exclude: Set<number>;
    nouns: CatalogNouns;
    /** Items the user named in earlier messages of this conversation, newest first. */
    conversationItems?: CatalogEntry[];
    /** The user's thumbs-down items and their weight (server/feedback dislikeWeights): they sink. */
    demote?: Map<number, number>;
    limit?: number;
  },
): Promise<BaselineResult> {
  let seeds = request.likedItems.slice(0, MAX_SEEDS);
  let seedsFrom: BaselineResult["seedsFrom"] = seeds.length ? "message" : "none";
  if (seeds.length === 0 && conversationItems.length > 0) {
    // A follow-up ("something shorter") keeps the items named earlier in the conversation.
    seeds = conversationItems.slice(0, MAX_SEEDS).reverse();
    seedsFrom = "conversation";
  }
  if (seeds.length === 0) {
    seeds = await historySeeds(db, userId, index);
    if (seeds.length) seedsFrom = "history";
  }
  // Room for the picks that thumbs-down items sink below.
  const wanted = demote.size > 0 ? 2 * limit : limit;
  const excluded = new Set([...exclude, ...seeds.map((s) => s.id), ...request.excludedItems.map((e) => e.id)]);
  const counts = await cooccurrence(db, { seedIds: seeds.map((s) => s.id) });

  // Asked for by name through their series ("the next one after Catching Fire"): first, whatever the filters.
  const series: BaselinePick[] = request.seriesItems
    .filter((e) => !exclude.has(e.id) && !request.excludedItems.some((x) => x.id === e.id))
    .slice(0, wanted)
    .map((entry) => ({
      entry,
      score: entry.popularity,
      reason: `next in ${entry.series?.name ?? "the series"}`,
      evidence: `${entry.series ? `Book ${entry.series.number} of ${entry.series.name}` : "The next in the series"}, after ${shortTitle(seeds.find((s) => s.series?.name === entry.series?.name)?.title ?? "the one you named")}`,
      source: "baseline:series",
    }));
  for (const pick of series) excluded.add(pick.entry.id);
  const withSeries = (picks: BaselinePick[]) => [...series, ...picks].slice(0, wanted);

  let picks = withSeries(rank(index, request, seeds, counts, excluded, wanted - series.length, nouns));
  let relaxed: string | null = null;
  // Nothing meets every filter: say so and drop the narrowest filters, one at a time.
  const relaxations: [string, Partial<Request>][] = [
    ["the year range", { yearFrom: null, yearTo: null }],
    ["the author", { creators: [] }],
    ["the genres", { genres: [] }],
  ];
  for (const [what, change] of relaxations) {
    if (picks.length > 0) break;
    const wider = { ...request, ...change };
    if (JSON.stringify(wider) === JSON.stringify(request)) continue;
    request = wider;
    relaxed = relaxed ? `${relaxed} and ${what}` : what;
    picks = withSeries(rank(index, request, seeds, counts, excluded, wanted - series.length, nouns));
  }
  return { picks: sinkDisliked(picks, demote).slice(0, limit), seeds, seedsFrom, relaxed };
}

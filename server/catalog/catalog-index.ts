import type { Db } from "../db/client";
import { catalogItems, catalogStamp, itemPopularity } from "../db/queries/catalog";
import { normalizeWords } from "../understand/words";

/**
 * An in-memory index of one catalog: titles for linking, genres for constraints, and
 * popularity for ranking. 10k items take a few MB; it is rebuilt when the catalog changes.
 */

export type CatalogEntry = {
  id: number;
  title: string;
  /** Title normalised for matching: lower case, no punctuation, no series suffix, no leading article. */
  key: string;
  year: number | null;
  creators: string | null;
  genres: string[];
  /** Number of positive interactions (ratings ≥ 4, to-read, likes, saves, clicks). */
  popularity: number;
  /** The title in its original language or edition, where the catalog has one (goodbooks' original_title). */
  originalTitle: string | null;
  /** Its place in a series, parsed from the title ("Catching Fire (The Hunger Games, #2)"). */
  series: SeriesPlace | null;
};

export type SeriesPlace = { name: string; number: number };

export type CatalogIndex = {
  catalog: string;
  entries: CatalogEntry[];
  byId: Map<number, CatalogEntry>;
  /** Every genre tag that occurs in the catalog. */
  genres: Set<string>;
  /** Database id → the item's id in its source (and in a model's items.json). */
  externalIds: Map<number, string>;
  /** Identifies the catalog's state the index was built from. */
  stamp: string;
  /** Identifies its items alone (not their interactions): what title lookups are built from. */
  itemsStamp: string;
};

const ARTICLE = /^(the|a|an) /;

export function normalizeTitle(title: string): string {
  return normalizeWords(title.replace(SERIES_SUFFIX, "")).replace(ARTICLE, "");
}

// "(Harry Potter, #1)", "(Dune Chronicles #1)", "(Discworld, #3; Witches #1)": the first series named.
const SERIES_SUFFIX = /\s*\([^)]*#[^)]*\)\s*$/;
const SERIES_PLACE = /\(\s*([^()#]*?)\s*,?\s*#(\d+)(?![\d.-])[^)]*\)\s*$/;

/** The series and number a title names; none for boxed sets ("#1-3") and novellas ("#0.5"). */
export function seriesPlace(title: string): SeriesPlace | null {
  const m = title.match(SERIES_PLACE);
  if (!m || !m[1]) return null;
  return { name: m[1].replace(/^the\s+/i, "").trim(), number: Number(m[2]) };
}

export function splitGenres(genres: string | null): string[] {
  return genres ? genres.split("|").filter(Boolean) : [];
}

async function buildIndex(db: Db, catalog: string, stamp: string): Promise<CatalogIndex> {
  const [items, popularity] = await Promise.all([catalogItems(db, { catalog }), itemPopularity(db, { catalog })]);
  return indexOf(
    catalog,
    items.map((item) => ({ ...item, originalTitle: originalTitleOf(item.metadata), popularity: popularity.get(item.id) ?? 0 })),
    stamp,
    stamp.split(":").slice(0, 2).join(":"),
  );
}

/** goodbooks (and a generic file with the same column) keep the original title in metadata. */
function originalTitleOf(metadata: unknown): string | null {
  const value = metadata && typeof metadata === "object" ? (metadata as Record<string, unknown>).original_title : null;
  return typeof value === "string" && value.trim() ? value.trim() : null;
}

export type IndexedItem = {
  id: number;
  externalId: string;
  title: string;
  originalTitle: string | null;
  year: number | null;
  creators: string | null;
  genres: string | null;
  popularity: number;
};

/** The index over items already read (from the database, or from a file for the benchmarks). */
export function indexOf(catalog: string, items: IndexedItem[], stamp: string, itemsStamp = stamp): CatalogIndex {
  const entries = items.map((item) => ({
    id: item.id,
    title: item.title,
    key: normalizeTitle(item.title),
    year: item.year,
    creators: item.creators,
    genres: splitGenres(item.genres),
    popularity: item.popularity,
    originalTitle: item.originalTitle,
    series: seriesPlace(item.title),
  }));
  return {
    catalog,
    entries,
    byId: new Map(entries.map((e) => [e.id, e])),
    genres: new Set(entries.flatMap((e) => e.genres)),
    externalIds: new Map(items.map((item) => [item.id, item.externalId])),
    stamp,
    itemsStamp,
  };
}

const cache = new Map<string, { index: CatalogIndex; checkedAt: number }>();
const RECHECK_MS = 5_000;

/** The index for a catalog, rebuilt when items or interactions have changed since it was built. */
export async function getCatalogIndex(db: Db, catalog: string): Promise<CatalogIndex> {
  const cached = cache.get(catalog);
  if (cached && Date.now() - cached.checkedAt < RECHECK_MS) return cached.index;
  const stamp = await catalogStamp(db, { catalog });
  const index = cached?.index.stamp === stamp ? cached.index : await buildIndex(db, catalog, stamp);
  cache.set(catalog, { index, checkedAt: Date.now() });
  return index;
}

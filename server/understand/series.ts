import type { CatalogEntry, CatalogIndex } from "../catalog/catalog-index";
import { normalizeWords } from "./words";

/**
 * Series order from the catalog: goodbooks writes it into titles ("Catching Fire (The Hunger
 * Games, #2)"), which the catalog index parses into `series`. Several editions may hold the
 * same place; the most read one stands for it.
 */

const bySeries = new WeakMap<CatalogIndex, Map<string, CatalogEntry[]>>();

function seriesOf(index: CatalogIndex): Map<string, CatalogEntry[]> {
  let series = bySeries.get(index);
  if (!series) {
    const places = new Map<string, Map<number, CatalogEntry>>();
    for (const entry of index.entries) {
      if (!entry.series) continue;
      const name = normalizeWords(entry.series.name);
      const numbers = places.get(name) ?? new Map<number, CatalogEntry>();
      const current = numbers.get(entry.series.number);
      if (!current || entry.popularity > current.popularity) numbers.set(entry.series.number, entry);
      places.set(name, numbers);
    }
    series = new Map([...places].map(([name, numbers]) => [name, [...numbers.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e)]));
    bySeries.set(index, series);
  }
  return series;
}

/** The book after this one in its series ("next"), or all the books after it ("rest"). */
export function nextInSeries(index: CatalogIndex, entry: CatalogEntry, mode: "next" | "rest"): CatalogEntry[] {
  if (!entry.series) return [];
  const books = seriesOf(index).get(normalizeWords(entry.series.name)) ?? [];
  const after = books.filter((b) => b.series!.number > entry.series!.number);
  return mode === "next" ? after.slice(0, 1) : after;
}

import type { CatalogEntry, CatalogIndex } from "../catalog/catalog-index";
import { perCatalogItems } from "./per-catalog";
import { normalizeWords } from "./words";

/**
 * Series order from the catalog: goodbooks writes it into titles ("Catching Fire (The Hunger
 * Games, #2)"), which the catalog index parses into `series`. Several editions may hold the
 * same place; the most read one stands for it.
 */

function seriesOf(index: CatalogIndex): Map<string, CatalogEntry[]> {
  return perCatalogItems("series", index, () => {
    const places = new Map<string, Map<number, CatalogEntry>>();
    for (const entry of index.entries) {
      if (!entry.series) continue;
      const name = normalizeWords(entry.series.name);
      const numbers = places.get(name) ?? new Map<number, CatalogEntry>();
      const current = numbers.get(entry.series.number);
      if (!current || entry.popularity > current.popularity) numbers.set(entry.series.number, entry);
      places.set(name, numbers);
    }
    return new Map([...places].map(([name, numbers]) => [name, [...numbers.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e)]));
  });
}

/** The book after this one in its series ("next"), or all the books after it ("rest"). */
export function nextInSeries(index: CatalogIndex, entry: CatalogEntry, mode: "next" | "rest"): CatalogEntry[] {
  if (!entry.series) return [];
  const books = seriesOf(index).get(normalizeWords(entry.series.name)) ?? [];
  const after = books.filter((b) => b.series!.number > entry.series!.number);
  // Built from an earlier index of the same items, maybe: hand back this index's entries.
  return (mode === "next" ? after.slice(0, 1) : after).map((b) => index.byId.get(b.id) ?? b);
}

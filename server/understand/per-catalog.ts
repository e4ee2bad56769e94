import type { CatalogIndex } from "../catalog/catalog-index";

/**
 * Lookup structures built from a catalog's items (title words, creators, series), kept while
 * the items stay the same. The index itself is rebuilt whenever interactions change (popularity
 * moves with every thumbs-up); rebuilding these with it would cost each such turn a rebuild.
 * Entries they hold may come from an earlier index: callers map ids back to the current one.
 */
const built = new Map<string, { itemsStamp: string; value: unknown }>();

export function perCatalogItems<T>(kind: string, index: CatalogIndex, build: () => T): T {
  const key = `${kind}|${index.catalog}`;
  const cached = built.get(key);
  if (cached && cached.itemsStamp === index.itemsStamp) return cached.value as T;
  const value = build();
  built.set(key, { itemsStamp: index.itemsStamp, value });
  return value;
}

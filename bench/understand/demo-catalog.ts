import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { type CatalogIndex, type IndexedItem, indexOf } from "../../server/catalog/catalog-index";

/**
 * The goodbooks demo catalog read straight from demo/goodbooks, as the app's importer and index
 * would hold it (ids are the book_ids; popularity counts ratings of 4+ and to-read entries, the
 * app's positive interactions), for the understanding benchmark and its tests.
 */

export const DEMO = "demo/goodbooks";

function readCsv(file: string): Record<string, string>[] {
  return parse(readFileSync(`${DEMO}/${file}`), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

export function demoItems(): IndexedItem[] {
  const popularity = new Map<string, number>();
  for (const r of readCsv("ratings.csv")) if (Number(r.rating) >= 4) popularity.set(r.book_id!, (popularity.get(r.book_id!) ?? 0) + 1);
  for (const r of readCsv("to_read.csv")) popularity.set(r.book_id!, (popularity.get(r.book_id!) ?? 0) + 1);
  return readCsv("books.csv").map((b) => ({
    id: Number(b.book_id),
    externalId: b.book_id!,
    title: b.title!,
    originalTitle: b.original_title?.trim() || null,
    year: b.original_publication_year ? Math.trunc(Number(b.original_publication_year)) : null,
    creators: b.authors!.split(", ").map((name) => name.trim()).filter(Boolean).join("; ") || null,
    genres: b.genres ? `|${b.genres}|` : null,
    popularity: popularity.get(b.book_id!) ?? 0,
  }));
}

export function demoIndex(): CatalogIndex {
  return indexOf("goodbooks", demoItems(), "demo-files");
}

import { ImportError } from "../errors";

/**
 * The generic formats' column names, and the other names they go by in what shops, apps and
 * datasets export. Matching ignores case, "_", "-" and spaces ("User ID", "user_id", "userId").
 * goodbooks and MovieLens keep their exact headers (formats/index.ts recognises them first).
 */
export type Aliases = Record<string, readonly string[]>;

const ITEM_ID = ["item_id", "item", "product_id", "sku", "movie_id", "book_id", "article_id"];

export const ITEM_ALIASES: Aliases = {
  id: ITEM_ID,
  title: ["name", "item_name", "product_name"],
  year: ["release_year", "publication_year"],
  creators: ["creator", "author", "authors", "artist", "artists", "director", "brand"],
  genres: ["genre", "tags", "categories", "category"],
  metadata: [],
};

export const INTERACTION_ALIASES: Aliases = {
  user: ["user_id", "customer_id", "visitor_id", "member_id"],
  item: ITEM_ID.filter((name) => name !== "item"),
  timestamp: ["time", "ts", "date", "datetime", "created_at", "event_time", "occurred_at"],
  rating: ["score", "stars"],
  kind: ["event", "event_type", "action"],
};

const squash = (name: string) => name.toLowerCase().replace(/[\s_-]+/g, "");

/** The canonical name of a column, or the column as given when it is not one of `aliases`. */
export function canonicalColumn(name: string, aliases: Aliases): string {
  const key = squash(name);
  for (const [canonical, others] of Object.entries(aliases)) {
    if (squash(canonical) === key || others.some((other) => squash(other) === key)) return canonical;
  }
  return name;
}

/** Renames a header to canonical names; two columns meaning the same thing is an error. */
export function canonicalHeader(header: string[], aliases: Aliases, file: string, line: number): string[] {
  const renamed = header.map((name) => canonicalColumn(name, aliases));
  renamed.forEach((name, i) => {
    const j = renamed.indexOf(name);
    if (j !== i && name in aliases) {
      throw new ImportError(file, line, `columns "${header[j]}" and "${header[i]}" both mean "${name}": keep one`);
    }
  });
  return renamed;
}

/** "timestamp" (also accepted: time, ts, …): for error messages. */
export function describeColumn(name: string, aliases: Aliases): string {
  const others = aliases[name] ?? [];
  return others.length ? `"${name}" (or ${others.join(", ")})` : `"${name}"`;
}

/**
 * Whether a header (or a JSON line's keys) holds interactions rather than items: it names a user,
 * or an item and a time but no title (an items file may well have a "date" column).
 */
export function looksLikeInteractions(names: string[]): boolean {
  const canonical = names.map((name) => canonicalColumn(name, INTERACTION_ALIASES));
  const titled = names.some((name) => canonicalColumn(name, ITEM_ALIASES) === "title");
  return canonical.includes("user") || (canonical.includes("item") && canonical.includes("timestamp") && !titled);
}

/** Whether a header (or a JSON line's keys) holds items. */
export function looksLikeItems(names: string[]): boolean {
  const canonical = names.map((name) => canonicalColumn(name, ITEM_ALIASES));
  return canonical.includes("id") || canonical.includes("title");
}

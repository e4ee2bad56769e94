/** How the chat talks about a catalog's items and the people who interact with them. */
export type CatalogNouns = {
  item: string;
  items: string;
  people: string;
  /** Where a card's title links to (a public search for the item), or none. */
  searchUrl?: (title: string, creators: string | null) => string;
};

const NOUNS: Record<string, CatalogNouns> = {
  goodbooks: {
    item: "book",
    items: "books",
    people: "readers",
    searchUrl: (title, creators) =>
      `https://openlibrary.org/search?${new URLSearchParams({ title: title.replace(/\s*\([^)]*#[^)]*\)\s*$/, ""), ...(creators ? { author: creators.split("; ")[0]! } : {}) })}`,
  },
  movielens: {
    item: "movie",
    items: "movies",
    people: "viewers",
    searchUrl: (title) => `https://www.themoviedb.org/search?${new URLSearchParams({ query: title.replace(/\s*\(\d{4}\)\s*$/, "") })}`,
  },
};

export function catalogNouns(catalog: string): CatalogNouns {
  // "movielens-1m", "movielens-latest": the importer's names for the other MovieLens id spaces.
  return NOUNS[catalog] ?? NOUNS[catalog.split("-")[0]!] ?? { item: "item", items: "items", people: "people" };
}

/** The catalog the chat recommends from (the shipped demo by default). */
export function activeCatalog(env: NodeJS.ProcessEnv = process.env): string {
  return env.RECO_CATALOG?.trim() || "goodbooks";
}

import type { Span } from "./words";

/**
 * What a person may ask for that a catalog does not hold: a movie from a book catalog, music,
 * a TV show, a podcast, a game. The answer says what the catalog holds instead of pretending.
 */

const KINDS: [kind: string, words: RegExp][] = [
  ["movie", /\b(?:movies?|films?|cinema)\b/g],
  ["tv", /\b(?:tv|television|netflix|sitcoms?|tv shows?|shows? (?:to|i should) watch|binge[- ]watch)\b|\bshould i watch\b/g],
  ["podcast", /\bpodcasts?\b/g],
  ["music", /\b(?:music|songs?|albums?|playlists?|bands?)\b/g],
  ["game", /\b(?:video ?games?|board ?games?|pc games?|console games?)\b/g],
];

/** The catalog's own kind ("book" for goodbooks) is never outside it. */
export function outsideCatalog(text: string, catalogItem: string, blocked: [number, number][]): { kind: string; span: Span } | null {
  const lower = text.toLowerCase();
  for (const [kind, words] of KINDS) {
    if (catalogItem.startsWith(kind)) continue;
    for (const m of lower.matchAll(words)) {
      const start = m.index;
      const end = start + m[0].length;
      if (blocked.some(([s, e]) => start < e && end > s)) continue;
      return { kind, span: { start, end, text: text.slice(start, end) } };
    }
  }
  return null;
}

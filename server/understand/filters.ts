import type { CatalogEntry } from "../catalog/catalog-index";
import { isBy } from "./authors";
import type { Request } from "./request";

/**
 * The plain-word parts of a request: genres (and the words people use for them), mood words
 * that lean toward genres, and year ranges; and the filter every candidate list applies.
 */

// Mood words → the genres they lean toward. Soft: they reorder, they never exclude.
export const MOODS: [RegExp, string[]][] = [
  [/\b(?:light|lighter|fun|funny|uplifting|feel[- ]good|cozy|cosy|cheerful|heartwarming|easy)\b/, ["humor", "chick-lit", "romance", "childrens", "graphic-novels"]],
  [/\b(?:dark|darker|gritty|creepy|disturbing|bleak|chilling)\b/, ["horror", "thriller", "dystopian", "dystopia", "paranormal"]],
  [/\b(?:thought[- ]provoking|deep|philosophical|profound|literary)\b/, ["philosophy", "literary-fiction", "classics"]],
  [/\b(?:epic|sweeping|grand)\b/, ["epic-fantasy", "fantasy", "historical-fiction"]],
  [/\b(?:exciting|thrilling|fast[- ]paced|page[- ]turner|gripping|action)\b/, ["thriller", "adventure", "mystery"]],
  [/\b(?:sad|moving|emotional|tearjerker)\b/, ["contemporary", "literary-fiction", "romance"]],
];

// Words people use for genres → the shelf tags the catalog stores ("a|b": the first the catalog has).
const GENRE_SYNONYMS: Record<string, string> = {
  "sci fi": "science-fiction",
  scifi: "science-fiction",
  sf: "science-fiction",
  "science fiction": "science-fiction",
  ya: "young-adult",
  "young adult": "young-adult",
  teen: "young-adult",
  nonfiction: "non-fiction",
  "non fiction": "non-fiction",
  historical: "historical-fiction",
  "historical fiction": "historical-fiction",
  "graphic novel": "graphic-novels",
  "graphic novels": "graphic-novels",
  comic: "graphic-novels",
  comics: "graphic-novels",
  manga: "graphic-novels",
  romantic: "romance",
  "love story": "romance",
  funny: "humor",
  humour: "humor",
  comedy: "humor",
  scary: "horror",
  detective: "mystery",
  whodunit: "mystery",
  crime: "crime|mystery",
  classic: "classics",
  "self help": "self-help",
  biographies: "biography",
  memoirs: "memoir",
  poems: "poetry",
  kids: "childrens|children",
  children: "childrens|children",
  "children s": "childrens|children",
  childrens: "children",
  dystopian: "dystopia|dystopian",
  dystopia: "dystopian",
  teenager: "young-adult",
  teenagers: "young-adult",
  mysteries: "mystery",
  thrillers: "thriller",
  "suspense": "thriller",
  "chick lit": "chick-lit",
  "urban fantasy": "urban-fantasy",
  "paranormal": "paranormal",
  vampires: "vampires",
  "magical realism": "magical-realism",
  philosophical: "philosophy",
};

/** Genre mentions in the text: [tag, start offset]. Longest phrases first, each span used once. */
export function findGenres(text: string, known: Set<string>): { tag: string; start: number; end: number }[] {
  const phrases = new Map<string, string>();
  for (const tag of known) {
    const words = tag.replace(/-/g, " ");
    phrases.set(words, tag);
    if (!words.endsWith("s")) phrases.set(`${words}s`, tag);
  }
  for (const [phrase, tags] of Object.entries(GENRE_SYNONYMS)) {
    const tag = tags.split("|").find((t) => known.has(t));
    if (tag) phrases.set(phrase, tag);
  }
  const sorted = [...phrases.keys()].sort((a, b) => b.length - a.length);
  const used: [number, number][] = [];
  const found: { tag: string; start: number; end: number }[] = [];
  for (const phrase of sorted) {
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${phrase.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}\\p{N}])`, "gu");
    for (const m of text.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      if (used.some(([s, e]) => start < e && end > s)) continue;
      used.push([start, end]);
      found.push({ tag: phrases.get(phrase)!, start, end });
    }
  }
  return found;
}

export function parseYears(text: string, now: Date): { yearFrom: number | null; yearTo: number | null } {
  const thisYear = now.getUTCFullYear();
  let m = text.match(/\bbetween\s+(1[0-9]{3}|20[0-9]{2})\s+(?:and|&|-)\s+(1[0-9]{3}|20[0-9]{2})\b/);
  if (m) {
    const [a, b] = [Number(m[1]), Number(m[2])];
    return { yearFrom: Math.min(a, b), yearTo: Math.max(a, b) };
  }
  // Decades: "1990s", "the 80s", "'70s" (two digits: 00s and 10s are this century, the rest the last).
  m = text.match(/\b(1[0-9]|20)([0-9])0'?s\b/);
  const short = m ? null : text.match(/(?:^|\s)(?:the\s+)?'?([0-9])0'?s\b/);
  if (m || short) {
    const start = m ? Number(m[1]) * 100 + Number(m[2]) * 10 : (Number(short![1]) <= 1 ? 2000 : 1900) + Number(short![1]) * 10;
    if (start <= thisYear) return { yearFrom: start, yearTo: start + 9 };
  }
  let yearFrom: number | null = null;
  let yearTo: number | null = null;
  m = text.match(/\b(?:after|since|newer than|post)\s+(1[0-9]{3}|20[0-9]{2})\b/);
  if (m) yearFrom = Number(m[1]) + (/since/.test(m[0]) ? 0 : 1);
  m = text.match(/\b(?:before|older than|pre|until|up to)\s+(1[0-9]{3}|20[0-9]{2})\b/);
  if (m) yearTo = Number(m[1]) - (/until|up to/.test(m[0]) ? 0 : 1);
  if (yearFrom === null && yearTo === null) {
    m = text.match(/\b(?:in|from|of|published in|released in)\s+(1[0-9]{3}|20[0-9]{2})\b/);
    if (m) yearFrom = yearTo = Number(m[1]);
  }
  if (yearFrom === null && yearTo === null && /\b(?:recent|new|newer|latest|modern)\b/.test(text)) {
    yearFrom = thisYear - 15;
  }
  return { yearFrom, yearTo };
}

/** Whether an item satisfies the request's filters (not the liked items themselves). */
export function matchesRequest(entry: CatalogEntry, request: Request): boolean {
  if (request.genres.length > 0 && !request.genres.every((g) => entry.genres.includes(g))) return false;
  if (request.excludedGenres.some((g) => entry.genres.includes(g))) return false;
  if (request.yearFrom !== null && (entry.year === null || entry.year < request.yearFrom)) return false;
  if (request.yearTo !== null && (entry.year === null || entry.year > request.yearTo)) return false;
  if (request.creators.length > 0 && !request.creators.some((name) => isBy(entry.creators, name))) return false;
  if (request.excludedCreators.some((name) => isBy(entry.creators, name))) return false;
  return true;
}

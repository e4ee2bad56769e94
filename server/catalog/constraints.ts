import { type CatalogEntry, type CatalogIndex, normalizeTitle } from "./catalog-index";

/**
 * What a chat message asks for, read from its text: items it names ("something like Dune"),
 * genres to include or exclude, a year range, an author. Plain rules, no model: this feeds
 * the baseline recommender and the candidate filters.
 */
export type Request = {
  /** Items the user names as examples of what they like. */
  likedItems: CatalogEntry[];
  /** Items the user names as not wanted ("not Twilight"). */
  excludedItems: CatalogEntry[];
  genres: string[];
  excludedGenres: string[];
  yearFrom: number | null;
  yearTo: number | null;
  creator: string | null;
  /** Genre tags a mood word leans toward ("something light" → humor, …): a boost, not a filter. */
  moodGenres: string[];
};

// Mood words → the genres they lean toward. Soft: they reorder, they never exclude.
const MOODS: [RegExp, string[]][] = [
  [/\b(?:light|lighter|fun|funny|uplifting|feel[- ]good|cozy|cosy|cheerful|heartwarming|easy)\b/, ["humor", "chick-lit", "romance", "childrens", "graphic-novels"]],
  [/\b(?:dark|darker|gritty|creepy|disturbing|bleak|chilling)\b/, ["horror", "thriller", "dystopian", "dystopia", "paranormal"]],
  [/\b(?:thought[- ]provoking|deep|philosophical|profound|literary)\b/, ["philosophy", "literary-fiction", "classics"]],
  [/\b(?:epic|sweeping|grand)\b/, ["epic-fantasy", "fantasy", "historical-fiction"]],
  [/\b(?:exciting|thrilling|fast[- ]paced|page[- ]turner|gripping|action)\b/, ["thriller", "adventure", "mystery"]],
  [/\b(?:sad|moving|emotional|tearjerker)\b/, ["contemporary", "literary-fiction", "romance"]],
];

// Words people use for genres → the shelf tags the catalog stores.
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
  crime: "mystery",
  classic: "classics",
  "self help": "self-help",
  biographies: "biography",
  memoirs: "memoir",
  poems: "poetry",
  kids: "childrens",
  children: "childrens",
  "children s": "childrens",
  dystopian: "dystopia",
  thrillers: "thriller",
  "suspense": "thriller",
  "chick lit": "chick-lit",
  "urban fantasy": "urban-fantasy",
  "paranormal": "paranormal",
  vampires: "vampires",
  "magical realism": "magical-realism",
  philosophical: "philosophy",
};

const NEGATION = /\b(?:not|no|without|except|but not|nothing|avoid|skip|hate|hated|dislike|disliked)\s+(?:any\s+|more\s+|too\s+much\s+)?$/;

/** Genre mentions in the text: [tag, start offset]. Longest phrases first, each span used once. */
function findGenres(text: string, known: Set<string>): { tag: string; start: number }[] {
  const phrases = new Map<string, string>();
  for (const tag of known) {
    const words = tag.replace(/-/g, " ");
    phrases.set(words, tag);
    if (!words.endsWith("s")) phrases.set(`${words}s`, tag);
  }
  for (const [phrase, tag] of Object.entries(GENRE_SYNONYMS)) if (known.has(tag)) phrases.set(phrase, tag);
  const sorted = [...phrases.keys()].sort((a, b) => b.length - a.length);
  const used: [number, number][] = [];
  const found: { tag: string; start: number }[] = [];
  for (const phrase of sorted) {
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${phrase.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}\\p{N}])`, "gu");
    for (const m of text.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      if (used.some(([s, e]) => start < e && end > s)) continue;
      used.push([start, end]);
      found.push({ tag: phrases.get(phrase)!, start });
    }
  }
  return found;
}

function parseYears(text: string, now: Date): { yearFrom: number | null; yearTo: number | null } {
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

// Phrases after which people name an example item.
const LIKE_CUES =
  /\b(?:like|similar to|in the vein of|along the lines of|such as|reminds me of|loved|enjoyed|liked|fan of|more of|same as)\s+/g;
const UNLIKE_CUES = /\b(?:not|except|but not|hated|disliked|didn't like|did not like|no more)\s+/g;
// Where a named title surely ends ("like Dune but lighter", "like Dune, for a weekend").
const PHRASE_END = /[.;!?\n()]|\s(?:but|for|with|from|published|written|by|that|which|because|though|although|set in|please)\s/;

/** The text after each cue, up to where a title surely ends. */
function segmentsAfter(text: string, cues: RegExp): string[] {
  const segments: string[] = [];
  for (const m of text.matchAll(cues)) {
    const rest = text.slice(m.index + m[0].length);
    const end = rest.search(PHRASE_END);
    const segment = (end === -1 ? rest : rest.slice(0, end)).trim();
    if (segment) segments.push(segment);
  }
  return segments;
}

/**
 * Items named in a segment such as "Pride and Prejudice or Gone Girl": the whole segment if it
 * is a title, else its parts split at commas and "or", then at "and" (which titles contain).
 */
function linkSegment(segment: string, index: CatalogIndex): CatalogEntry[] {
  const exact = (phrase: string) => {
    const item = linkTitle(phrase, index);
    return item && item.key === normalizeTitle(phrase) ? item : null;
  };
  const whole = exact(segment);
  if (whole) return [whole];
  const found: CatalogEntry[] = [];
  for (const part of segment.split(/\s*,\s*|\s+or\s+|\s*&\s*/)) {
    const item = exact(part);
    if (item) found.push(item);
    else for (const piece of part.split(/\s+and\s+/)) {
      const linked = linkTitle(piece, index);
      if (linked) found.push(linked);
    }
  }
  return found;
}

function quoted(text: string): string[] {
  return [...text.matchAll(/["“”«»]([^"“”«»]{2,120})["“”«»]|'([^']{2,120})'(?=\s|$|[,.;!?])/g)].map(
    (m) => (m[1] ?? m[2] ?? "").trim(),
  );
}

/**
 * The catalog item a phrase names, if any: an exact title (without a leading article or
 * series suffix) wins, then the most popular title that starts with the phrase, then one that
 * contains it as whole words, then a title within a few typos ("the hobit", "dun"). Short
 * generic phrases ("a book") link nothing.
 */
export function linkTitle(phrase: string, index: CatalogIndex): CatalogEntry | null {
  const key = normalizeTitle(phrase);
  if (key.length < 3 || key.split(" ").every((w) => STOP_WORDS.has(w))) return null;
  let best: CatalogEntry | null = null;
  let bestRank = -1;
  for (const entry of index.entries) {
    let rank = -1;
    if (entry.key === key) rank = 3;
    else if (entry.key.startsWith(`${key} `)) rank = 2;
    else if (key.length >= 5 && ` ${entry.key} `.includes(` ${key} `)) rank = 1;
    if (rank < 0) continue;
    if (rank > bestRank || (rank === bestRank && best && entry.popularity > best.popularity)) {
      best = entry;
      bestRank = rank;
    }
  }
  return best ?? closestTitle(withoutMistypedArticle(key), index);
}

/** "teh martian" → "martian": titles are keyed without their article, typed or mistyped. */
function withoutMistypedArticle(key: string): string {
  const [first, ...rest] = key.split(" ");
  return rest.length > 0 && first && first.length >= 3 && editDistance(first, "the", 1) <= 1 ? rest.join(" ") : key;
}

/** Typos allowed for a phrase of this length: none for short words, where one edit is another word. */
function allowedEdits(length: number): number {
  if (length < 4) return 0;
  if (length < 9) return 1;
  if (length < 16) return 2;
  return 3;
}

/** The most popular title within the allowed number of edits of the phrase (whole title only). */
function closestTitle(key: string, index: CatalogIndex): CatalogEntry | null {
  const limit = allowedEdits(key.length);
  if (limit === 0) return null;
  let best: CatalogEntry | null = null;
  let bestDistance = limit + 1;
  for (const entry of index.entries) {
    if (Math.abs(entry.key.length - key.length) > limit) continue;
    const distance = editDistance(key, entry.key, Math.min(limit, bestDistance));
    if (distance < bestDistance || (distance === bestDistance && best && entry.popularity > best.popularity)) {
      best = entry;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : null;
}

/**
 * Levenshtein distance with adjacent transpositions counted as one edit ("teh" → "the"),
 * giving up (returning max + 1) as soon as it must exceed max.
 */
export function editDistance(a: string, b: string, max: number): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

const STOP_WORDS = new Set([
  "book", "books", "novel", "novels", "movie", "movies", "film", "films", "something", "anything", "one", "ones",
  "this", "that", "it", "them", "those", "these", "story", "stories", "series", "read", "reads", "lot", "much",
  "more", "good", "great", "fun", "light", "dark", "short", "long", "me", "you", "my", "your", "the", "a", "an",
]);

function parseCreator(text: string): string | null {
  const m = text.match(/\b(?:by|from author|author|written by)\s+([\p{Lu}][\p{L}.'-]*(?:\s+[\p{Lu}][\p{L}.'-]*){0,3})/u);
  return m?.[1] ?? null;
}

export function parseRequest(text: string, index: CatalogIndex, now = new Date()): Request {
  const lower = text.toLowerCase().replace(/(?<=\p{L})-(?=\p{L})/gu, " ");
  const genres = new Set<string>();
  const excludedGenres = new Set<string>();
  for (const { tag, start } of findGenres(lower, index.genres)) {
    (NEGATION.test(lower.slice(Math.max(0, start - 24), start)) ? excludedGenres : genres).add(tag);
  }
  for (const tag of excludedGenres) genres.delete(tag);

  const liked = new Map<number, CatalogEntry>();
  const excluded = new Map<number, CatalogEntry>();
  for (const segment of segmentsAfter(text, UNLIKE_CUES)) {
    for (const item of linkSegment(segment, index)) excluded.set(item.id, item);
  }
  for (const segment of [...quoted(text), ...segmentsAfter(text, LIKE_CUES)]) {
    for (const item of linkSegment(segment, index)) if (!excluded.has(item.id)) liked.set(item.id, item);
  }

  return {
    likedItems: [...liked.values()],
    excludedItems: [...excluded.values()],
    genres: [...genres],
    excludedGenres: [...excludedGenres],
    ...parseYears(lower, now),
    creator: parseCreator(text),
    moodGenres: [...new Set(MOODS.flatMap(([words, tags]) => (words.test(lower) ? tags : [])))].filter(
      (tag) => index.genres.has(tag) && !excludedGenres.has(tag),
    ),
  };
}

/** Whether an item satisfies the request's filters (not the liked items themselves). */
export function matchesRequest(entry: CatalogEntry, request: Request): boolean {
  if (request.genres.length > 0 && !request.genres.every((g) => entry.genres.includes(g))) return false;
  if (request.excludedGenres.some((g) => entry.genres.includes(g))) return false;
  if (request.yearFrom !== null && (entry.year === null || entry.year < request.yearFrom)) return false;
  if (request.yearTo !== null && (entry.year === null || entry.year > request.yearTo)) return false;
  if (request.creator && !(entry.creators ?? "").toLowerCase().includes(request.creator.toLowerCase())) return false;
  return true;
}

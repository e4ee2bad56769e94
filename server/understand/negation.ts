/**
 * Negation with scope: "something by Stephen King that isn't horror" negates horror and nothing
 * else; "no romance, no poetry" negates both; "I loved Dune but not horror" leaves Dune liked. A
 * negator reaches forward to the next things named, across filler words and lists of named things
 * ("no romance or horror"), and stops at anything else: other words, "but", a sentence's end.
 */

const NEGATORS =
  /\b(?:not|no|without|except|nothing|avoid|skip|hate|hated|dislike|disliked|isn't|isnt|aren't|arent|wasn't|weren't|never|nor|none of|anything but|other than|instead of|tired of|bored of|(?:don't|dont|do not|didn't|didnt|did not|doesn't|does not)\s+(?:really\s+)?(?:like|want|need|enjoy|suggest|recommend|give me|show me|care for|love|read))\b/g;

// Words a negation reaches across: "no more X", "not by X", "nothing like X", "isn't a X".
const FILLER = new Set([
  "any", "more", "the", "a", "an", "too", "much", "by", "like", "similar", "to", "of", "or", "and", "nor", "that",
  "this", "those", "these", "stuff", "book", "books", "novel", "novels", "at", "all", "ever", "again", "anything",
  "something", "really", "so", "very", "from", "written", "please", "another", "either", "kind", "type", "sort",
  "genre", "one", "ones", "for", "me", "give", "show", "want", "with",
]);

export type Negation = { isNegated: (start: number) => boolean };

/**
 * @param text the message (any case)
 * @param mentions character ranges of everything named in it (titles, genres, creators, references)
 */
export function negationScope(text: string, mentions: [number, number][]): Negation {
  const lower = text.toLowerCase().replace(/[’‘`]/g, "'");
  const negators = [...lower.matchAll(NEGATORS)].map((m) => [m.index, m.index + m[0].length] as [number, number]);
  const isNegated = (start: number) =>
    negators.some(([, end]) => {
      if (end > start) return false;
      let between = lower.slice(end, start);
      // Other named things between the negator and this one belong to the same list.
      for (const [s, e] of mentions) {
        if (s >= end && e <= start) between = `${between.slice(0, s - end)}${" ".repeat(e - s)}${between.slice(e - end)}`;
      }
      if (/[.;!?()]|\bbut\b|\bthough\b|\bhowever\b/.test(between)) return false;
      return between
        .split(/[\s,/&'-]+/)
        .filter(Boolean)
        .every((word) => FILLER.has(word));
    });
  return { isNegated };
}

import SearchableMap from "minisearch/SearchableMap";
import type { CatalogIndex } from "../catalog/catalog-index";
import { perCatalogItems } from "./per-catalog";
import { isCommonWord, normalizeWords, type Span, type Token, spanOf } from "./words";

/**
 * Finds the catalog's creators in a message: full names ("Stephen King", "J.K. Rowling"), one
 * typo in a long enough name ("stephen kng"), and a surname alone where it can only be that
 * person ("Murakami", "by Tolkien", "Hemingway's books"). The name reported is the catalog's.
 */

type Creator = { name: string; words: string[]; popularity: number };

type AuthorMatcher = {
  byFirstWord: Map<string, Creator[]>;
  /** Surname (last word, or "le guin" style two words) → its most read creator. */
  bySurname: Map<string, Creator>;
  vocabulary: SearchableMap<true>;
};


const PARTICLES = new Set(["le", "de", "du", "van", "von", "da", "di", "del", "la"]);

function buildMatcher(index: CatalogIndex): AuthorMatcher {
  const creators = new Map<string, Creator>();
  for (const entry of index.entries) {
    for (const name of (entry.creators ?? "").split("; ")) {
      const words = normalizeWords(name).split(" ").filter(Boolean);
      if (words.length < 2) continue;
      const key = words.join(" ");
      const creator = creators.get(key) ?? { name: name.trim(), words, popularity: 0 };
      creator.popularity += entry.popularity + 1;
      creators.set(key, creator);
    }
  }
  const byFirstWord = new Map<string, Creator[]>();
  const bySurname = new Map<string, Creator>();
  const vocabulary = new Set<string>();
  for (const creator of creators.values()) {
    const list = byFirstWord.get(creator.words[0]!) ?? [];
    list.push(creator);
    byFirstWord.set(creator.words[0]!, list);
    const w = creator.words;
    const surname = w.length >= 3 && PARTICLES.has(w[w.length - 2]!) ? w.slice(-2).join(" ") : w.at(-1)!;
    const current = bySurname.get(surname);
    if (!current || creator.popularity > current.popularity) bySurname.set(surname, creator);
    for (const word of w) vocabulary.add(word);
  }
  return { byFirstWord, bySurname, vocabulary: SearchableMap.from([...vocabulary].map((w) => [w, true as const])) };
}

function matcherFor(index: CatalogIndex): AuthorMatcher {
  return perCatalogItems("authors", index, () => buildMatcher(index));
}

export type AuthorMatch = { name: string; from: number; to: number; span: Span };

/** Creators named in the message, in order, without overlaps. */
export function findAuthors(index: CatalogIndex, text: string, tokens: Token[]): AuthorMatch[] {
  const matcher = matcherFor(index);
  const found: AuthorMatch[] = [];
  const typo = (typed: string, word: string) =>
    typed.length >= 3 && word.length >= 4 && matcher.vocabulary.fuzzyGet(typed, 1).has(word);
  for (let i = 0; i < tokens.length; i++) {
    if (found.some((m) => i < m.to)) continue;
    let best: { creator: Creator; to: number; typos: number } | null = null;
    for (const creator of matcher.byFirstWord.get(tokens[i]!.norm) ?? []) {
      let typos = 0;
      let k = i;
      for (const word of creator.words) {
        const typed = tokens[k]?.norm;
        if (typed === word) k++;
        else if (typed !== undefined && typos === 0 && typo(typed, word)) {
          typos++;
          k++;
        } else {
          k = -1;
          break;
        }
      }
      if (k < 0) continue;
      if (!best || typos < best.typos || (typos === best.typos && creator.popularity > best.creator.popularity)) best = { creator, to: k, typos };
    }
    if (best) {
      found.push({ name: best.creator.name, from: i, to: best.to, span: spanOf(text, tokens, i, best.to) });
      continue;
    }
    // A surname alone: capitalised or after "by", and not an everyday word unless after "by".
    for (const length of [2, 1]) {
      const words = tokens.slice(i, i + length);
      if (words.length < length) continue;
      const surname = words.map((t) => t.norm).join(" ");
      const creator = matcher.bySurname.get(surname);
      if (!creator) continue;
      const afterBy = tokens[i - 1]?.norm === "by";
      const possessive = tokens[i + length]?.norm === "s";
      const written = words.every((t) => t.capitalised || (t.sentenceStart && (possessive || tokens.length <= 3 || /^\p{Lu}/u.test(t.raw))));
      if (!afterBy && (!written || isCommonWord(words.at(-1)!.norm))) continue;
      // "Abbey Road" is not Edward Abbey: a surname alone ends the name it is part of.
      const next = tokens[i + length];
      if (!afterBy && !possessive && next?.capitalised && !next.sentenceStart) continue;
      found.push({ name: creator.name, from: i, to: i + length, span: spanOf(text, tokens, i, i + length) });
      break;
    }
  }
  return found;
}

/** Whether an item is by this creator (names as the catalog spells them). */
export function isBy(creators: string | null, name: string): boolean {
  const wanted = normalizeWords(name);
  return (creators ?? "").split("; ").some((c) => normalizeWords(c) === wanted);
}

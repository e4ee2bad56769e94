import type { CatalogEntry, CatalogIndex } from "../catalog/catalog-index";
import { type AuthorMatch, findAuthors, isBy } from "./authors";
import { MOODS, findGenres, parseYears } from "./filters";
import { negationScope } from "./negation";
import { type CardReference, findReferences, referencedCards } from "./references";
import { outsideCatalog } from "./scope";
import { nextInSeries } from "./series";
import { type TitleMatch, findTitles, titleContext } from "./titles";
import { type Span, type Token, spanOf, tokenize } from "./words";

/**
 * What a chat message asks for. One place decides it (`understand`), and the baseline, the
 * candidate filters, the model prompt, the notice and the chat's "Using: …" line all read it.
 * Every understood piece keeps the span of the message it came from.
 */
export type Request = {
  /** Items named as liked or read (the seeds), including cards referred to ("more like the second one"). */
  likedItems: CatalogEntry[];
  /** Items not wanted: "not Twilight", "nothing like Gone Girl", "not that one". */
  excludedItems: CatalogEntry[];
  /** Items asked for directly through their series ("the next one after Catching Fire"). */
  seriesItems: CatalogEntry[];
  genres: string[];
  excludedGenres: string[];
  /** Creators as the catalog spells them; an item by any of them passes. */
  creators: string[];
  excludedCreators: string[];
  yearFrom: number | null;
  yearTo: number | null;
  /** Genre tags a mood word leans toward ("something light" → humor, …): a boost, not a filter. */
  moodGenres: string[];
  /** Every understood piece with the text it came from, in the order of the message. */
  understood: UnderstoodPart[];
  /** Words that name two or more items equally well: the answer asks which one. */
  ambiguous: { span: Span; candidates: CatalogEntry[] }[];
  /** Titles the message names that the catalog does not hold. */
  unknownTitles: Span[];
  /** Something the catalog does not hold at all ("a movie" from a book catalog). */
  outside: { kind: string; span: Span } | null;
  references: CardReference[];
};

export type UnderstoodPart = {
  kind: "liked" | "excluded" | "series" | "genre" | "excluded genre" | "creator" | "excluded creator";
  /** What it is, as the chat shows it ("Dune", "horror", "Stephen King"). */
  label: string;
  span: Span;
  itemId?: number;
  /** For item links: how sure the link is (0–1+), from the words around it. */
  confidence?: number;
};

export type UnderstandContext = {
  /** The previous answer's cards, rank 1 first: what "the second one" refers to. */
  previousCards?: CatalogEntry[];
  /** The catalog's word for one item ("book"): asking for another kind is outside it. */
  catalogItem?: string;
  now?: Date;
};

/** Below this a title match is an ordinary phrase ("one day", "second chance"). */
const LINK_CONFIDENCE = 0.595; // 0.6, allowing for floating-point sums

export function emptyRequest(): Request {
  return {
    likedItems: [], excludedItems: [], seriesItems: [], genres: [], excludedGenres: [], creators: [], excludedCreators: [],
    yearFrom: null, yearTo: null, moodGenres: [], understood: [], ambiguous: [], unknownTitles: [], outside: null, references: [],
  };
}

const overlaps = (a: Span, b: Span) => a.start < b.end && a.end > b.start;
const contains = (outer: Span, inner: Span) => outer.start <= inner.start && inner.end <= outer.end && (outer.end - outer.start) > (inner.end - inner.start);
const range = (s: Span): [number, number] => [s.start, s.end];

// A list's own words between its items.
const LIST_GLUE = /^(?:\s*[,/&+]\s*|\s+(?:and|or)\s+|\s*,\s*(?:and|or)\s+)$/i;
const CLAUSE_END = /[.!?;:\n—–()]/;

/**
 * Titles that make up a whole list by themselves ("the road, the stand, station eleven"): each
 * alone is too ordinary to link, but a clause that is nothing but titles and commas names them.
 * Returns the matches to raise to a link, or none.
 */
function wholeLists(text: string, tokens: Token[], matches: TitleMatch[]): Set<TitleMatch> {
  const raised = new Set<TitleMatch>();
  const candidates = matches.filter((m) => m.confidence > 0.25);
  const startsAt = new Map<number, TitleMatch[]>();
  for (const m of candidates) startsAt.set(m.from, [...(startsAt.get(m.from) ?? []), m]);
  // Clause starts: the message start, or after a clause end.
  for (let i = 0; i < tokens.length; i++) {
    if (i > 0 && !CLAUSE_END.test(text.slice(tokens[i - 1]!.end, tokens[i]!.start))) continue;
    // Longest chain of titles joined by list glue, from i to the clause's end.
    const chain = (at: number, seen: TitleMatch[]): TitleMatch[] | null => {
      for (const m of startsAt.get(at) ?? []) {
        const next = [...seen, m];
        const after = m.to < tokens.length ? text.slice(tokens[m.to - 1]!.end, tokens[m.to]!.start) : "";
        if (m.to >= tokens.length || CLAUSE_END.test(after.trim()[0] ?? "")) {
          if (next.length >= 2) return next;
          continue;
        }
        // "and"/"or" are tokens; punctuation is between tokens.
        const glueEnd = ["and", "or"].includes(tokens[m.to]!.norm) ? m.to + 1 : m.to;
        const glue = text.slice(tokens[m.to - 1]!.end, glueEnd < tokens.length ? tokens[glueEnd]!.start : text.length);
        if (glueEnd < tokens.length && LIST_GLUE.test(glue)) {
          const found = chain(glueEnd, next);
          if (found) return found;
        }
      }
      return null;
    };
    for (const m of chain(i, []) ?? []) raised.add(m);
  }
  return raised;
}

/** The titles the message names, without overlaps, each item once; ties set aside to ask about. */
function chooseTitles(
  text: string,
  tokens: Token[],
  matches: TitleMatch[],
  authors: AuthorMatch[],
  genreSpans: Span[],
): { links: TitleMatch[]; ties: { span: Span; candidates: CatalogEntry[] }[]; credits: AuthorMatch[] } {
  // "Feed by Mira Grant" or "Feed (Mira Grant)": the title followed by one of its creators.
  const creditOf = (title: TitleMatch) =>
    authors.find((a) => {
      if (![title.entry, ...title.others].some((c) => isBy(c.creators, a.name))) return false;
      if (a.from === title.to + 1 && tokens[title.to]!.norm === "by") return true;
      return a.from === title.to && /^\s*\(\s*$/.test(text.slice(title.span.end, a.span.start));
    });
  const links: TitleMatch[] = [];
  const ties: { span: Span; candidates: CatalogEntry[] }[] = [];
  const taken: Span[] = [];
  // Creators named in parentheses after a title only say which item it is; "by X" also asks for X.
  const credits: AuthorMatch[] = [];
  for (const match of matches) {
    // A title with its own creator after it is surely that item, whatever the ties.
    const credit = creditOf(match);
    if (credit) {
      const entry = [match.entry, ...match.others].find((c) => isBy(c.creators, credit.name))!;
      if (!taken.some((s) => overlaps(s, match.span))) {
        taken.push(match.span);
        if (tokens[match.to]?.norm !== "by") credits.push(credit);
        if (!links.some((l) => l.entry.id === entry.id)) links.push({ ...match, entry, rivals: [], others: [], confidence: match.confidence + 0.3 });
      }
      continue;
    }
    if (match.confidence < LINK_CONFIDENCE) continue;
    if (taken.some((s) => overlaps(s, match.span))) continue;
    // A creator's name is the creator ("Jane Austen's books"), unless the title is longer and holds it.
    if (authors.some((a) => overlaps(a.span, match.span) && !contains(match.span, a.span))) continue;
    // A one-word title that is also a genre word ("Horror") is the genre.
    if (genreSpans.some((g) => g.start <= match.span.start && match.span.end <= g.end)) continue;
    taken.push(match.span);
    if (match.rivals.length > 0) {
      // "Feed by Mira Grant": the creator named settles it.
      const candidates = [match.entry, ...match.rivals];
      const byNamed = candidates.filter((c) => authors.some((a) => isBy(c.creators, a.name)));
      if (byNamed.length === 1) {
        links.push({ ...match, entry: byNamed[0]!, rivals: [], others: [] });
        continue;
      }
      ties.push({ span: match.span, candidates: candidates.slice(0, 4) });
      continue;
    }
    if (links.some((l) => l.entry.id === match.entry.id)) continue;
    links.push(match);
  }
  return { links: links.sort((a, b) => a.span.start - b.span.start), ties, credits };
}

// After these, a capitalised phrase that links nothing is a title the catalog lacks.
const TITLE_CUE = /\b(?:like|similar to|loved|love|enjoyed|liked|adored|read|finished|fan of|such as|after|than)\s*$/i;

/** Titles named (in quotes, after a cue word, or as the items of a list) that the catalog lacks. */
function unknownTitles(text: string, tokens: Token[], quoted: [number, number][], understood: Span[]): Span[] {
  const found: Span[] = [];
  const free = (s: Span) => !understood.some((u) => overlaps(u, s)) && !found.some((f) => overlaps(f, s));
  for (const [s, e] of quoted) {
    const span = { start: s + 1, end: e - 1, text: text.slice(s + 1, e - 1) };
    if (free(span)) found.push(span);
  }
  // A run of capitalised words (small words inside allowed) after a cue, or as a list item.
  const runAt = (i: number): number => {
    let k = i;
    let last = -1;
    const known = (t: Token) => understood.some((u) => u.start <= t.start && t.end <= u.end);
    while (
      k < tokens.length &&
      !known(tokens[k]!) &&
      (tokens[k]!.capitalised || (tokens[k]!.sentenceStart && /^\p{Lu}/u.test(tokens[k]!.raw)) || /^(?:of|the|and|a|in|on|to|for)$/.test(tokens[k]!.norm))
    ) {
      if (k > i && /[,;:.!?()]/.test(text.slice(tokens[k - 1]!.end, tokens[k]!.start))) break;
      if (/^\p{Lu}/u.test(tokens[k]!.raw)) last = k;
      k++;
    }
    return last;
  };
  const listed = understood.length > 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!/^\p{Lu}/u.test(t.raw) || t.norm === "i") continue;
    const before = text.slice(0, t.start);
    const cue = TITLE_CUE.test(before);
    const listItem = listed && /(?:[,/&]|\band|\bor|:)\s*$/i.test(before);
    if (!cue && !listItem) continue;
    const last = runAt(i);
    if (last < i) continue;
    const span = spanOf(text, tokens, i, last + 1);
    // A list item must end where the list's item does.
    const after = text.slice(span.end);
    if (!cue && !/^\s*(?:$|[,/&.!?;]|and\b|or\b)/i.test(after)) continue;
    if (!free(span)) continue;
    found.push(span);
    i = last;
  }
  return found;
}

const SERIES_NEXT = /\b(?:next (?:one|book|in (?:the|that|this) series)|(?:one|book) after|comes after|sequel|what'?s next|which one is next|read next in)\b/i;
const SERIES_REST = /\b(?:rest of (?:the|that|this) series|remaining (?:books|ones)|rest of them)\b/i;

/** Reads what a message asks for. */
export function understand(rawText: string, index: CatalogIndex, context: UnderstandContext = {}): Request {
  // Control characters separate words; they never join them.
  // eslint-disable-next-line no-control-regex
  const text = rawText.replace(/[\u0000-\u001F\u007F]/g, " ");
  const request = emptyRequest();
  const tokens = tokenize(text);
  if (tokens.length === 0) return request;
  const lower = text.toLowerCase().replace(/(?<=\p{L})-(?=\p{L})/gu, " ");

  const authors = findAuthors(index, text, tokens);
  const genreHits = findGenres(lower, index.genres).map((g) => ({ tag: g.tag, span: { start: g.start, end: g.end, text: text.slice(g.start, g.end) } }));
  const ctx = titleContext(text, tokens);
  const matches = findTitles(index, ctx);
  for (const m of wholeLists(text, tokens, matches)) m.confidence = Math.max(m.confidence, LINK_CONFIDENCE);
  const { links, ties, credits } = chooseTitles(text, tokens, matches, authors, genreHits.map((g) => g.span));
  const titleSpans = [...links.map((l) => l.span), ...ties.map((t) => t.span)];
  const genres = genreHits.filter((g) => !titleSpans.some((s) => overlaps(s, g.span)));
  const creators = authors.filter((a) => !titleSpans.some((s) => contains(s, a.span)) && !credits.includes(a));
  const cards = context.previousCards ?? [];
  const references = findReferences(text, cards.length, titleSpans.map(range));

  const negation = negationScope(text, [
    ...titleSpans.map(range), ...genres.map((g) => range(g.span)), ...creators.map((a) => range(a.span)), ...references.map((r) => range(r.span)),
  ]);
  const understood: UnderstoodPart[] = [];

  const liked = new Map<number, CatalogEntry>();
  const excluded = new Map<number, CatalogEntry>();
  for (const link of links) {
    const negated = negation.isNegated(link.span.start);
    (negated ? excluded : liked).set(link.entry.id, link.entry);
    understood.push({ kind: negated ? "excluded" : "liked", label: shortTitle(link.entry.title), span: link.span, itemId: link.entry.id, confidence: link.confidence });
  }
  // "I've read It and Misery, so don't give me those."
  if (/\b(?:don['’]?t|do not|never|not)\s+(?:give|show|suggest|recommend)?\s*(?:me\s+)?(?:those|them|these)\b/i.test(text)) {
    for (const [id, entry] of liked) {
      excluded.set(id, entry);
      liked.delete(id);
    }
    for (const u of understood) if (u.kind === "liked") u.kind = "excluded";
  }
  for (const ref of references) {
    const entries = referencedCards(ref.ranks, cards);
    const kind: CardReference["kind"] = ref.else ? "else" : negation.isNegated(ref.span.start) ? "exclude" : "like";
    request.references.push({ kind, ranks: ref.ranks, span: ref.span });
    for (const entry of entries) {
      (kind === "like" ? liked : excluded).set(entry.id, entry);
      if (kind !== "else") understood.push({ kind: kind === "like" ? "liked" : "excluded", label: shortTitle(entry.title), span: ref.span, itemId: entry.id });
    }
  }
  for (const id of excluded.keys()) liked.delete(id);

  for (const g of genres) {
    const negated = negation.isNegated(g.span.start);
    (negated ? request.excludedGenres : request.genres).push(g.tag);
    understood.push({ kind: negated ? "excluded genre" : "genre", label: g.tag.replace(/-/g, " "), span: g.span });
  }
  request.genres = [...new Set(request.genres.filter((g) => !request.excludedGenres.includes(g)))];
  request.excludedGenres = [...new Set(request.excludedGenres)];
  for (const a of creators) {
    const negated = negation.isNegated(a.span.start);
    (negated ? request.excludedCreators : request.creators).push(a.name);
    understood.push({ kind: negated ? "excluded creator" : "creator", label: a.name, span: a.span });
  }
  request.creators = [...new Set(request.creators.filter((c) => !request.excludedCreators.includes(c)))];
  request.excludedCreators = [...new Set(request.excludedCreators)];

  // Series: "the next one after Catching Fire", "the rest of the series after Divergent".
  const wantsNext = SERIES_NEXT.test(text);
  const wantsRest = SERIES_REST.test(text);
  if (wantsNext || wantsRest) {
    const from = [...liked.values()].find((e) => e.series);
    if (from) {
      for (const entry of nextInSeries(index, from, wantsRest ? "rest" : "next")) {
        request.seriesItems.push(entry);
        understood.push({ kind: "series", label: shortTitle(entry.title), span: links.find((l) => l.entry.id === from.id)?.span ?? spanOf(text, tokens, 0, tokens.length), itemId: entry.id });
      }
    }
  }

  request.likedItems = [...liked.values()];
  request.excludedItems = [...excluded.values()];
  request.ambiguous = ties;
  const understoodSpans = [...titleSpans, ...genres.map((g) => g.span), ...creators.map((a) => a.span), ...references.map((r) => r.span)];
  request.outside = outsideCatalog(text, context.catalogItem ?? "item", titleSpans.map(range));
  request.unknownTitles = unknownTitles(text, tokens, ctx.quoted, understoodSpans);
  Object.assign(request, parseYears(lower, context.now ?? new Date()));
  request.moodGenres = [...new Set(MOODS.flatMap(([words, tags]) => (words.test(lower) ? tags : [])))].filter(
    (tag) => index.genres.has(tag) && !request.excludedGenres.includes(tag),
  );
  request.understood = understood.sort((a, b) => a.span.start - b.span.start);
  return request;
}

/** "Catching Fire (The Hunger Games, #2)" → "Catching Fire". */
export function shortTitle(title: string): string {
  return title.replace(/\s*\([^)]*#[^)]*\)\s*$/, "").trim();
}

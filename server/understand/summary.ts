import type { CatalogNouns } from "../catalog/nouns";
import type { Understood } from "../chat/types";
import type { Request } from "./request";
import { shortTitle } from "./request";

/**
 * What the chat tells the person about how their message was read: the "Using: Dune ·
 * excluding: horror" line under the answer, the question when a title names two items, and
 * the plain words when something asked for is not in the catalog.
 */

export function summaryOf(request: Request): Understood {
  const using = [
    ...request.likedItems.map((e) => shortTitle(e.title)),
    ...request.seriesItems.map((e) => `next: ${shortTitle(e.title)}`),
    ...request.genres.map((g) => g.replace(/-/g, " ")),
    ...request.creators.map((c) => `by ${c}`),
  ];
  if (request.yearFrom !== null || request.yearTo !== null) {
    const { yearFrom: from, yearTo: to } = request;
    using.push(from !== null && to !== null ? (from === to ? `${from}` : `${from}–${to}`) : from !== null ? `from ${from}` : `up to ${to}`);
  }
  const excluding = [
    ...request.excludedItems.map((e) => shortTitle(e.title)),
    ...request.excludedGenres.map((g) => g.replace(/-/g, " ")),
    ...request.excludedCreators.map((c) => `by ${c}`),
  ];
  return { using: [...new Set(using)], excluding: [...new Set(excluding)] };
}

/** The question for a title that names several items, and one chip per item to answer it. */
export function whichOne(request: Request): { question: string; options: string[] } | null {
  const tie = request.ambiguous[0];
  if (!tie) return null;
  return {
    question: `Which "${tie.span.text}" do you mean?`,
    // "Feed (Mira Grant)" reads back as exactly that item, without asking for more by her.
    options: tie.candidates.map((c) => {
      const creator = (c.creators ?? "").split("; ")[0];
      return creator ? `${shortTitle(c.title)} (${creator})` : shortTitle(c.title);
    }),
  };
}

const KIND_NAMES: Record<string, string> = { movie: "movies", tv: "TV shows", podcast: "podcasts", music: "music", game: "games" };

/** Honest words about what the catalog lacks, or "" when it has everything asked for. */
export function missingNote(request: Request, nouns: CatalogNouns): string {
  const notes: string[] = [];
  if (request.outside) {
    notes.push(`I can only recommend ${nouns.items} from this catalog, not ${KIND_NAMES[request.outside.kind] ?? request.outside.kind}.`);
  }
  if (request.unknownTitles.length > 0) {
    const titles = request.unknownTitles.map((s) => `*${s.text}*`).join(", ");
    const used = request.likedItems.length
      ? `so I went by ${request.likedItems.slice(0, 3).map((e) => `*${shortTitle(e.title)}*`).join(", ")}`
      : "so I went by the rest of your message";
    notes.push(`I couldn't find ${titles} in this catalog, ${used}.`);
  }
  return notes.join(" ");
}

/** The reading, for the model's explanation prompt: "(Understood: using Dune; excluding horror.)" */
export function promptNote(request: Request): string {
  const { using, excluding } = summaryOf(request);
  const parts = [using.length ? `using ${using.join(", ")}` : "", excluding.length ? `excluding ${excluding.join(", ")}` : ""].filter(Boolean);
  return parts.length ? `(Understood: ${parts.join("; ")}.)` : "";
}

import type { UIMessageStreamWriter } from "ai";
import type { Db } from "../db/client";
import type { ChatMessage, ItemCard, Notice } from "../chat/types";
import { getCatalogIndex, type CatalogEntry } from "../catalog/catalog-index";
import { parseRequest, type Request } from "../catalog/constraints";
import { activeCatalog, catalogNouns, type CatalogNouns } from "../catalog/nouns";
import { finishAssistantMessage, startAssistantMessage } from "../conversations/queries";
import { notInterestedItemIds } from "../feedback/feedback";
import { type BaselinePick, type BaselineResult, recommendBaseline, yearText } from "./baseline";

/**
 * One chat turn: read what the user asks for, pick items, and stream the answer —
 * a short intro as text, then one card per item as a typed `data-item` part. The assistant
 * message is stored as `streaming` first and finished as `complete` or `failed`, so an
 * interrupted answer is kept, not lost.
 */

type Part = ChatMessage["parts"][number];
type Writer = UIMessageStreamWriter<ChatMessage>;

export type TurnInput = {
  db: Db;
  userId: string;
  conversationId: string;
  text: string;
  assistantMessageId: string;
  writer: Writer;
  signal?: AbortSignal;
};

const LIST_LENGTH = 5;

export async function runTurn({ db, userId, conversationId, text, assistantMessageId, writer, signal }: TurnInput) {
  const parts: Part[] = [];
  const write = (part: Part & { id?: string }) => {
    signal?.throwIfAborted();
    parts.push(part);
    if (part.type === "text") {
      const id = `${assistantMessageId}-intro`;
      writer.write({ type: "text-start", id });
      writer.write({ type: "text-delta", id, delta: part.text });
      writer.write({ type: "text-end", id });
    } else if (part.type === "data-item" || part.type === "data-notice") {
      writer.write(part);
    }
  };

  await startAssistantMessage(db, { conversationId, id: assistantMessageId });
  writer.write({ type: "start", messageId: assistantMessageId });
  try {
    const catalog = activeCatalog();
    const nouns = catalogNouns(catalog);
    const index = await getCatalogIndex(db, catalog);
    if (index.entries.length === 0) {
      write({ type: "text", text: `The catalog "${catalog}" has no ${nouns.items} yet. Import one with \`npm run import\`.`, state: "done" });
    } else {
      const request = parseRequest(text, index);
      const exclude = new Set([
        ...(await notInterestedItemIds(db, { userId })),
        ...(await itemsAlreadyShown(db, conversationId)),
      ]);
      const result = await recommendBaseline(db, { index, request, userId, exclude, nouns, limit: LIST_LENGTH });
      write({ type: "text", text: introText(request, result, nouns), state: "done" });
      for (const [i, pick] of result.picks.entries()) {
        const card = await storeRecommendation(db, { assistantMessageId, pick, rank: i + 1 });
        write({ type: "data-item", id: `item-${card.recommendationId}`, data: card });
      }
      const notice: Notice = {
        level: "info",
        text: "Picked by the baseline recommender (item co-occurrence and popularity over stored interactions), not by a language model.",
      };
      write({ type: "data-notice", id: `${assistantMessageId}-notice`, data: notice });
    }
    await finishAssistantMessage(db, { id: assistantMessageId, parts, status: "complete" });
    writer.write({ type: "finish" });
  } catch (error) {
    const reason = signal?.aborted ? "interrupted" : error instanceof Error ? error.message : String(error);
    await finishAssistantMessage(db, { id: assistantMessageId, parts, status: "failed", error: reason });
    throw error;
  }
}

async function itemsAlreadyShown(db: Db, conversationId: string): Promise<number[]> {
  const rows = await db.recommendation.findMany({
    where: { message: { conversationId } },
    select: { itemId: true },
  });
  return rows.map((r) => r.itemId);
}

function titleList(entries: CatalogEntry[]): string {
  const titles = entries.slice(0, 3).map((e) => `*${e.title}*`);
  const more = entries.length > 3 ? ` and ${entries.length - 3} more` : "";
  return titles.length > 1 ? `${titles.slice(0, -1).join(", ")} and ${titles.at(-1)}${more}` : (titles[0] ?? "");
}

export function introText(request: Request, result: BaselineResult, nouns: CatalogNouns): string {
  if (result.picks.length === 0) {
    return `I couldn't find any ${nouns.items} that match that, even after loosening the filters. Try naming a ${nouns.item} you liked, or a genre.`;
  }
  const filters: string[] = [];
  if (request.genres.length) filters.push(request.genres.map((g) => g.replace(/-/g, " ")).join(" and "));
  // "classics", "graphic novels" are already plural nouns: no "books" after them.
  const pluralGenre = /s$/.test(request.genres.at(-1) ?? "") && request.genres.at(-1) !== "humor";
  const what = pluralGenre ? filters.join(" ") : [filters.join(" "), nouns.items].filter(Boolean).join(" ");
  const extra: string[] = [];
  if (request.creator) extra.push(`by ${request.creator}`);
  if (request.yearFrom !== null || request.yearTo !== null) extra.push(yearText(request));
  if (request.excludedGenres.length) extra.push(`without ${request.excludedGenres.join(" or ")}`);
  const scope = [what, ...extra].join(" ");
  let because = "";
  if (result.seedsFrom === "message") because = ` for fans of ${titleList(result.seeds)}`;
  else if (result.seedsFrom === "history") because = ` based on the ${nouns.items} you liked before`;
  const relaxed = result.relaxed ? ` Nothing matched every filter, so I ignored ${result.relaxed}.` : "";
  return `Here are ${result.picks.length} ${scope}${because}.${relaxed}`;
}

/** The baseline's explanation is its reason as a sentence; genres and year are on the card already. */
function explanationFor(pick: BaselinePick): string {
  return `${pick.reason.charAt(0).toUpperCase()}${pick.reason.slice(1)}.`;
}

async function storeRecommendation(
  db: Db,
  { assistantMessageId, pick, rank }: { assistantMessageId: string; pick: BaselinePick; rank: number },
): Promise<ItemCard> {
  const explanation = explanationFor(pick);
  const row = await db.recommendation.create({
    data: {
      messageId: assistantMessageId,
      itemId: pick.entry.id,
      rank,
      score: pick.score,
      modelVersion: pick.source,
      reason: pick.reason,
      explanation,
    },
  });
  return {
    recommendationId: row.id,
    itemId: pick.entry.id,
    rank,
    title: pick.entry.title,
    creators: pick.entry.creators,
    year: pick.entry.year,
    genres: pick.entry.genres,
    reason: pick.reason,
    explanation,
    score: pick.score,
    source: pick.source,
  };
}

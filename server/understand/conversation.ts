import type { CatalogEntry, CatalogIndex } from "../catalog/catalog-index";
import type { ChatMessage } from "../chat/types";
import type { Db } from "../db/client";
import { settledMessages } from "../db/queries/conversations";
import { type Request, understand } from "./request";

/**
 * Understanding a message inside its conversation: "the second one" means the second card of
 * the previous answer (recommendations are stored with their rank), items named in earlier
 * messages carry over to a follow-up ("something shorter"), and what was turned down earlier
 * ("not that one", "nothing like Twilight") stays turned down for the rest of the conversation.
 */

export type TurnUnderstanding = {
  request: Request;
  /** Items liked in earlier messages, newest first: the seeds of a follow-up that names none. */
  namedEarlier: CatalogEntry[];
  /** Items turned down in earlier messages. */
  excludedEarlier: CatalogEntry[];
};

// Earlier messages read for context: enough for a conversation's thread, bounded per turn.
const HISTORY = 20;

// What each earlier message was read as, so a turn reads only its own message anew. Keyed by the
// message, the catalog's state and the cards it answered; bounded, oldest dropped first.
const earlierReadings = new Map<string, { liked: number[]; excluded: number[] }>();
const MAX_READINGS = 5_000;

function readEarlier(
  key: string,
  text: string,
  index: CatalogIndex,
  context: { previousCards: CatalogEntry[]; catalogItem: string },
): { liked: number[]; excluded: number[] } {
  let reading = earlierReadings.get(key);
  if (!reading) {
    const request = understand(text, index, context);
    reading = { liked: request.likedItems.map((e) => e.id), excluded: request.excludedItems.map((e) => e.id) };
    if (earlierReadings.size >= MAX_READINGS) earlierReadings.delete(earlierReadings.keys().next().value!);
    earlierReadings.set(key, reading);
  }
  return reading;
}

export async function understandTurn(
  db: Db,
  { conversationId, text, index, catalogItem }: { conversationId: string; text: string; index: CatalogIndex; catalogItem: string },
): Promise<TurnUnderstanding> {
  const history = await settledMessages(db, { conversationId, take: HISTORY + 1 });
  // The message being answered is stored already: the last user message.
  const current = history.findLastIndex((m) => m.role === "user");
  if (current >= 0) history.splice(current, 1);

  let cards: CatalogEntry[] = [];
  const named = new Map<number, CatalogEntry>();
  const excluded = new Map<number, CatalogEntry>();
  for (const message of history) {
    if (message.role === "assistant") {
      const shown = message.recommendations.flatMap((r) => index.byId.get(r.itemId) ?? []);
      if (shown.length > 0) cards = shown;
      continue;
    }
    if (message.role !== "user") continue;
    const key = `${message.id}|${index.catalog}|${index.stamp}|${cards.map((c) => c.id).join(",")}`;
    const earlier = readEarlier(key, textOf(message.parts), index, { previousCards: cards, catalogItem });
    for (const id of earlier.liked) named.set(id, index.byId.get(id)!);
    for (const id of earlier.excluded) {
      excluded.set(id, index.byId.get(id)!);
      named.delete(id);
    }
  }
  const request = understand(text, index, { previousCards: cards, catalogItem });
  for (const entry of request.excludedItems) named.delete(entry.id);
  // What was turned down stays so, unless this message asks for it again.
  for (const entry of request.likedItems) excluded.delete(entry.id);
  return {
    request,
    namedEarlier: [...named.values()].reverse(),
    excludedEarlier: [...excluded.values()],
  };
}

function textOf(parts: unknown): string {
  return (parts as ChatMessage["parts"]).map((p) => (p.type === "text" ? p.text : "")).join("\n");
}

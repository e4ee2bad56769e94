import { createUIMessageStream, type UIMessageChunk } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, ItemCard, Suggestions, Understood } from "@/server/chat/types";
import { ensureConversation, getConversation, saveUserMessage } from "@/server/db/queries/conversations";
import { toggleFeedback } from "@/server/db/queries/feedback";
import { DISLIKE_HALF_LIFE_DAYS, dislikeWeight } from "@/server/feedback/feedback";
import { sinkDisliked } from "@/server/recommend/baseline";
import { runTurn } from "@/server/recommend/turn";
import { type CatalogEntry, getCatalogIndex } from "@/server/catalog/catalog-index";
import { understandTurn } from "@/server/understand/conversation";
import { ensureVisitor } from "@/server/db/queries/users";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

// A small catalog where the co-occurrence answer is known: everyone who liked "The Hobbit"
// also liked "The Silmarillion"; "Dune" readers like "Hyperion"; "Twilight" is merely popular.
const BOOKS = [
  ["1", "The Hobbit", "|fantasy|classics|", 1937, "J.R.R. Tolkien"],
  ["2", "The Silmarillion", "|fantasy|", 1977, "J.R.R. Tolkien"],
  ["3", "Dune", "|science-fiction|", 1965, "Frank Herbert"],
  ["4", "Hyperion", "|science-fiction|", 1989, "Dan Simmons"],
  ["5", "Twilight", "|fantasy|romance|young-adult|", 2005, "Stephenie Meyer"],
  ["6", "Eragon", "|fantasy|young-adult|", 2002, "Christopher Paolini"],
  ["7", "Emma", "|classics|romance|", 1815, "Jane Austen"],
  ["8", "Project Hail Mary", "|science-fiction|", 2021, "Andy Weir"],
  // Two books called "Feed", nobody's favourite: which one is meant must be asked.
  ["9", "Feed", "|science-fiction|young-adult|", 2002, "M.T. Anderson"],
  ["10", "Feed (Newsflesh Trilogy, #1)", "|science-fiction|horror|", 2010, "Mira Grant"],
] as const;

async function seedCatalog(t: TestDatabase): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const [externalId, title, genres, year, creators] of BOOKS) {
    const item = await t.db.item.create({
      data: { catalog: "goodbooks", externalId, title, genres, year, creators, metadata: {} },
    });
    ids.set(title, item.id);
  }
  const likes: [string, string[]][] = [
    ["r1", ["The Hobbit", "The Silmarillion", "Twilight"]],
    ["r2", ["The Hobbit", "The Silmarillion", "Eragon"]],
    ["r3", ["The Hobbit", "The Silmarillion"]],
    ["r4", ["Dune", "Hyperion", "Twilight"]],
    ["r5", ["Dune", "Hyperion"]],
    ["r6", ["Twilight", "Eragon", "Emma"]],
    ["r7", ["Twilight", "Emma"]],
    ["r8", ["Twilight"]],
    ["r9", ["Project Hail Mary"]], // a rare book: no co-readers
  ];
  let at = 0;
  for (const [reader, titles] of likes) {
    const user = await t.db.user.create({ data: { externalId: `goodbooks:${reader}` } });
    for (const title of titles) {
      await t.db.interaction.create({
        data: { userId: user.id, itemId: ids.get(title)!, kind: "rating", value: 5, at: new Date(at++ * 1000), source: "test" },
      });
    }
  }
  return ids;
}

/** Runs one turn through a real AI SDK UI message stream and returns the chunks it produced. */
async function turn(t: TestDatabase, userId: string, conversationId: string, text: string, signal?: AbortSignal) {
  const message: ChatMessage = { id: `u-${Math.random().toString(36).slice(2)}`, role: "user", parts: [{ type: "text", text }] };
  await ensureConversation(t.db, { id: conversationId, userId, firstText: text });
  await saveUserMessage(t.db, { conversationId, message });
  const assistantMessageId = `a-${Math.random().toString(36).slice(2)}`;
  let failure: unknown = null;
  const stream = createUIMessageStream<ChatMessage>({
    execute: ({ writer }) => runTurn({ db: t.db, userId, conversationId, text, assistantMessageId, writer, signal }),
    onError: (error) => {
      failure = error;
      return "failed";
    },
  });
  const chunks: UIMessageChunk[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<UIMessageChunk>) chunks.push(chunk);
  const cards = chunks.flatMap((c) => (c.type === "data-item" ? [(c as { data: ItemCard }).data] : []));
  const understood = chunks.flatMap((c) => (c.type === "data-understood" ? [(c as { data: Understood }).data] : []))[0] ?? null;
  const suggestions = chunks.flatMap((c) => (c.type === "data-suggestions" ? [(c as { data: Suggestions }).data] : []))[0] ?? null;
  return { chunks, cards, understood, suggestions, assistantMessageId, failure };
}

describe.each(["sqlite", "postgresql"] as const)("a chat turn on %s", (kind) => {
  let t: TestDatabase;
  let ids: Map<string, number>;
  const userId = "3f1c2a4e-8b7d-4c6a-9e1f-0a2b3c4d5e6f";

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    ids = await seedCatalog(t);
    await ensureVisitor(t.db, userId);
  });
  afterAll(() => t.cleanup());

  it("streams intro text, then cards, then a notice, and stores them", async () => {
    const { chunks, cards, assistantMessageId } = await turn(t, userId, "conv-hobbit-1", "Something like The Hobbit");
    const order = chunks.map((c) => c.type).filter((type) => !["start-step", "finish-step"].includes(type));
    expect(order[0]).toBe("start");
    expect(order.indexOf("text-delta")).toBeLessThan(order.indexOf("data-item"));
    expect(order.lastIndexOf("data-item")).toBeLessThan(order.indexOf("data-notice"));
    expect(order.at(-1)).toBe("finish");

    expect(cards[0]?.title).toBe("The Silmarillion");
    expect(cards[0]?.source).toBe("baseline:cooccurrence");
    expect(cards[0]?.reason).toBe("similar to The Hobbit");
    expect(cards[0]?.explanation).toBe("3 readers who liked The Hobbit also liked it.");
    expect(cards.every((c) => c.status === "ready")).toBe(true);
    expect(cards.map((c) => c.title)).not.toContain("The Hobbit");
    expect(cards.map((c) => c.rank)).toEqual(cards.map((_, i) => i + 1));

    const stored = await getConversation(t.db, { id: "conv-hobbit-1", userId });
    const answer = stored?.messages.find((m) => m.id === assistantMessageId);
    expect(answer?.status).toBe("complete");
    expect(answer?.parts.filter((p) => p.type === "data-item")).toHaveLength(cards.length);
    const rows = await t.db.recommendation.findMany({ where: { messageId: assistantMessageId }, orderBy: { rank: "asc" } });
    expect(rows.map((r) => r.id)).toEqual(cards.map((c) => c.recommendationId));
    expect(rows[0]?.explanation).toBe(cards[0]?.explanation);
  });

  it("honours genre and year filters, and excludes items already shown in the conversation", async () => {
    const { cards } = await turn(t, userId, "conv-filters", "young adult fantasy after 2000");
    expect(cards.map((c) => c.title).sort()).toEqual(["Eragon", "Twilight"]);
    const again = await turn(t, userId, "conv-filters", "young adult fantasy after 2000");
    expect(again.cards.map((c) => c.title)).not.toContain("Twilight");
  });

  it("says so when it had to relax contradictory filters", async () => {
    const { chunks } = await turn(t, userId, "conv-contradiction", "science fiction from the 1800s");
    const intro = chunks.flatMap((c) => (c.type === "text-delta" ? [c.delta] : [])).join("");
    expect(intro).toContain("ignored the year range");
  });

  it("records feedback as Feedback and Interaction rows, toggles, and never shows not-interested items again", async () => {
    const { cards } = await turn(t, userId, "conv-feedback", "Something like The Hobbit");
    const target = cards[0]!;
    expect(await toggleFeedback(t.db, { userId, recommendationId: target.recommendationId, kind: "thumbs_up" })).toEqual(["thumbs_up"]);
    expect(await t.db.interaction.count({ where: { userId, kind: "like", itemId: target.itemId } })).toBe(1);
    // Thumbs down replaces thumbs up, and its interaction.
    expect(await toggleFeedback(t.db, { userId, recommendationId: target.recommendationId, kind: "thumbs_down" })).toEqual(["thumbs_down"]);
    expect(await t.db.interaction.count({ where: { userId, kind: "like" } })).toBe(0);
    // Pressing it again takes it back.
    expect(await toggleFeedback(t.db, { userId, recommendationId: target.recommendationId, kind: "thumbs_down" })).toEqual([]);
    expect(await t.db.feedback.count({ where: { recommendationId: target.recommendationId } })).toBe(0);

    // Click-through is an event, not a toggle: each one counts.
    expect(target.link).toMatch(/^https:\/\/openlibrary\.org\/search\?title=/);
    await toggleFeedback(t.db, { userId, recommendationId: target.recommendationId, kind: "click" });
    await toggleFeedback(t.db, { userId, recommendationId: target.recommendationId, kind: "click" });
    expect(await t.db.feedback.count({ where: { recommendationId: target.recommendationId, kind: "click" } })).toBe(2);
    expect(await t.db.interaction.count({ where: { userId, kind: "click", itemId: target.itemId } })).toBe(2);

    await toggleFeedback(t.db, { userId, recommendationId: target.recommendationId, kind: "not_interested" });
    const next = await turn(t, userId, "conv-feedback-2", "Something like The Hobbit");
    expect(next.cards.map((c) => c.itemId)).not.toContain(target.itemId);
  });

  it("a thumbs down buries the item for this user, never again in its conversation, and decays elsewhere", async () => {
    const dislike = "00000000-0000-4000-8000-00000000d151";
    await ensureVisitor(t.db, dislike);
    const ask = (conversation: string) => turn(t, dislike, conversation, "Something like The Hobbit");
    const silmarillion = ids.get("The Silmarillion")!;
    const first = await ask("conv-dislike-1");
    expect(first.cards[0]?.itemId).toBe(silmarillion);
    await toggleFeedback(t.db, { userId: dislike, recommendationId: first.cards[0]!.recommendationId, kind: "thumbs_down" });

    // The same conversation: never again, even when asked the same way.
    expect((await ask("conv-dislike-1")).cards.map((c) => c.itemId)).not.toContain(silmarillion);
    // Another conversation, right after: not first any more (buried below every other candidate).
    const elsewhere = (await ask("conv-dislike-2")).cards.map((c) => c.itemId);
    expect(elsewhere[0]).not.toBe(silmarillion);
    if (elsewhere.includes(silmarillion)) expect(elsewhere.at(-1)).toBe(silmarillion);
    // Eight weeks later the penalty has faded (weight 1 − 2^-4) and it is the best answer again.
    await t.db.interaction.updateMany({ where: { userId: dislike, kind: "dislike" }, data: { at: new Date(Date.now() - 56 * 86_400_000) } });
    expect((await ask("conv-dislike-3")).cards[0]?.itemId).toBe(silmarillion);
    // Another user is not affected.
    const other = "00000000-0000-4000-8000-00000000d152";
    await ensureVisitor(t.db, other);
    expect((await turn(t, other, "conv-dislike-other", "Something like The Hobbit")).cards[0]?.itemId).toBe(silmarillion);
  });

  it("weighs a thumbs down by its age: 0 at once, half after the half-life, rising", () => {
    const day = 86_400_000;
    expect(dislikeWeight(0)).toBe(0);
    expect(dislikeWeight(DISLIKE_HALF_LIFE_DAYS * day)).toBeCloseTo(0.5, 10);
    expect(dislikeWeight(2 * DISLIKE_HALF_LIFE_DAYS * day)).toBeCloseTo(0.75, 10);
    expect(dislikeWeight(-day)).toBe(0); // a clock skewed into the future never boosts
    expect(dislikeWeight(day)).toBeLessThan(dislikeWeight(2 * day));
  });

  it("sinks thumbs-down picks by position, the same for any ranking (baseline or model)", () => {
    const picks = [1, 2, 3, 4, 5].map((id) => ({ entry: { id } as CatalogEntry }));
    const order = (demote: [number, number][]) => sinkDisliked(picks, new Map(demote)).map((p) => p.entry.id);
    expect(order([])).toEqual([1, 2, 3, 4, 5]);
    expect(order([[1, 0]])).toEqual([2, 3, 4, 5, 1]); // weight 0: below everything
    expect(order([[1, 0.5]])).toEqual([2, 1, 3, 4, 5]); // position 1 → 2, and a tie goes against it
    expect(order([[2, 0.5], [3, 0]])).toEqual([1, 4, 2, 5, 3]);
    expect(order([[9, 0]])).toEqual([1, 2, 3, 4, 5]); // not among the picks: nothing moves
  });

  it("refuses feedback on another visitor's recommendation", async () => {
    const { cards } = await turn(t, userId, "conv-owner", "fantasy");
    const stranger = "00000000-0000-4000-8000-000000000000";
    await ensureVisitor(t.db, stranger);
    await expect(toggleFeedback(t.db, { userId: stranger, recommendationId: cards[0]!.recommendationId, kind: "save" })).rejects.toThrow(
      "does not exist or is not yours",
    );
  });

  it("stores an interrupted answer as failed instead of losing it", async () => {
    const controller = new AbortController();
    controller.abort();
    const { failure, assistantMessageId } = await turn(t, userId, "conv-abort", "Something like Dune", controller.signal);
    expect(failure).toBeTruthy();
    const row = await t.db.message.findUniqueOrThrow({ where: { id: assistantMessageId } });
    expect(row.status).toBe("failed");
    expect(row.error).toBe("interrupted");
    const conversation = await getConversation(t.db, { id: "conv-abort", userId });
    expect(conversation?.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
  });

  it("keeps the items named earlier in the conversation for a follow-up", async () => {
    const reader = "22222222-3333-4444-8555-666666666666"; // no earlier feedback
    await ensureVisitor(t.db, reader);
    const first = await turn(t, reader, "conv-follow-up", "Something like The Hobbit, fantasy only");
    expect(first.cards.map((c) => c.title).sort()).toEqual(["Eragon", "The Silmarillion", "Twilight"]);
    const { chunks, cards } = await turn(t, reader, "conv-follow-up", "any more?");
    expect(cards.length).toBeGreaterThan(0);
    const intro = chunks.flatMap((c) => (c.type === "text-delta" ? [c.delta] : [])).join("");
    expect(intro).toContain("for fans of *The Hobbit*");
  });

  it("prefers items that fit the mood without filtering the others out", async () => {
    const reader = "33333333-4444-4555-8666-777777777777";
    await ensureVisitor(t.db, reader);
    // "uplifting" leans to romance: Emma (a romance with few readers) moves up; nothing is filtered.
    const plain = (await turn(t, reader, "conv-mood-plain", "something to read")).cards.map((c) => c.title);
    const uplifting = (await turn(t, reader, "conv-mood", "something uplifting")).cards.map((c) => c.title);
    expect(uplifting).toHaveLength(plain.length);
    expect(uplifting.indexOf("Emma")).toBeGreaterThanOrEqual(0);
    expect(uplifting.indexOf("Emma")).toBeLessThan(plain.includes("Emma") ? plain.indexOf("Emma") : plain.length);
    expect(uplifting.filter((title) => !["Emma", "Twilight"].includes(title))).toEqual(
      plain.filter((title) => !["Emma", "Twilight"].includes(title)).slice(0, uplifting.length - 2),
    );
  });

  it("falls back to popular books of the same genres when a named book has no co-readers", async () => {
    const { cards } = await turn(t, userId, "conv-rare", "Something like Project Hail Mary");
    expect(cards.slice(0, 2).map((c) => c.title).sort()).toEqual(["Dune", "Hyperion"]);
    expect(cards[0]?.reason).toBe("shares genres with Project Hail Mary");
    expect(cards[0]?.explanation).toMatch(/^Popular science fiction books like Project Hail Mary: \d+ readers rated it 4\+ or saved it\.$/);
  });

  it("uses the visitor's own likes when the message names nothing", async () => {
    const fresh = "11111111-2222-4333-8444-555555555555";
    await ensureVisitor(t.db, fresh);
    await t.db.interaction.create({
      data: { userId: fresh, itemId: ids.get("Dune")!, kind: "like", at: new Date(), source: "test" },
    });
    const { cards, chunks } = await turn(t, fresh, "conv-history", "what should I read next?");
    expect(cards[0]?.title).toBe("Hyperion");
    const intro = chunks.flatMap((c) => (c.type === "text-delta" ? [c.delta] : [])).join("");
    expect(intro).toContain("based on the books you liked before");
  });

  it("resolves references to the previous answer's cards by their stored rank", async () => {
    const first = await turn(t, userId, "conv-refs", "Something like The Hobbit");
    expect(first.understood).toEqual({ using: ["The Hobbit"], excluding: [] });
    const second = await turn(t, userId, "conv-refs", "more like the second one");
    expect(second.understood?.using).toEqual([first.cards[1]!.title]);
    expect(second.cards.map((c) => c.itemId)).not.toContain(first.cards[1]!.itemId);
  });

  it("keeps a card turned down ('not that one') excluded for the rest of the conversation", async () => {
    const first = await turn(t, userId, "conv-not-that", "Something like Dune");
    const refused = await turn(t, userId, "conv-not-that", "not that one");
    expect(refused.understood?.excluding).toEqual([first.cards[0]!.title]);
    await turn(t, userId, "conv-not-that", "something else");
    const index = await getCatalogIndex(t.db, "goodbooks");
    const later = await understandTurn(t.db, { conversationId: "conv-not-that", text: "anything", index, catalogItem: "book" });
    expect(later.excludedEarlier.map((e) => e.id)).toContain(first.cards[0]!.itemId);
    expect(later.namedEarlier.map((e) => e.title)).toEqual(["Dune"]);
  });

  it("asks which one when a title names two items, and answers the chip that is picked", async () => {
    const asked = await turn(t, userId, "conv-feed", "something like Feed");
    expect(asked.cards).toEqual([]);
    expect(asked.suggestions?.options).toHaveLength(2);
    const picked = asked.suggestions!.options.find((o) => o.includes("Mira Grant"))!;
    const answered = await turn(t, userId, "conv-feed", picked);
    expect(answered.suggestions).toBeNull();
    expect(answered.understood?.using).toContain("Feed");
    expect(answered.cards.length).toBeGreaterThan(0);
    expect(answered.cards.map((c) => c.itemId)).not.toContain(ids.get("Feed (Newsflesh Trilogy, #1)"));
  });

  it("names a title the catalog does not hold and still answers from the rest", async () => {
    const { chunks, cards, understood } = await turn(t, userId, "conv-unknown", 'something like "Zzyzx Road Chronicles" and Dune');
    const intro = chunks.flatMap((c) => (c.type === "text-delta" ? [c.delta] : [])).join("");
    expect(intro).toContain("Zzyzx Road Chronicles");
    expect(understood?.using).toEqual(["Dune"]);
    expect(cards[0]?.title).toBe("Hyperion");
  });

  it("answers 'something by X that isn't Y' with X's books outside Y", async () => {
    // A visitor of their own: the one above turned The Silmarillion down.
    const reader = "22222222-3333-4444-8555-666666666666";
    await ensureVisitor(t.db, reader);
    const { cards, understood } = await turn(t, reader, "conv-by", "something by Tolkien that isn't classics");
    expect(understood).toEqual({ using: ["by J.R.R. Tolkien"], excluding: ["classics"] });
    expect(cards.map((c) => c.title)).toEqual(["The Silmarillion"]);
  });
});

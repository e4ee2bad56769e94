import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { approvedExplanation, explanationQueue, rejectedExplanations, reviewHistory } from "@/server/db/queries/reviews";
import { AppError } from "@/server/http/errors";
import { QueueQuery, decide, edit, queueFilters } from "@/server/review/review";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

// The review queue over real rows, on both databases: grouping and order, each filter, decisions
// and what the chat then serves, the audit trail, and bad decisions refused with nothing written.
describe.each(["sqlite", "postgresql"] as const)("the review queue on %s", (kind) => {
  let t: TestDatabase;
  let reviewer: string;
  let dune: number;
  let emma: number;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    reviewer = (await t.db.user.create({ data: { email: "merch@example.com", role: "merchandiser" } })).id;
    const user = await t.db.user.create({ data: {} });
    dune = (await t.db.item.create({ data: { catalog: "books", externalId: "1", title: "Dune", metadata: {} } })).id;
    emma = (await t.db.item.create({ data: { catalog: "books", externalId: "2", title: "Emma", metadata: {} } })).id;
    const conversation = await t.db.conversation.create({ data: { userId: user.id } });
    // Dune's text shown 3 times (twice by the model, once on an old date), Emma's once, one card with no text.
    const shown = [
      { itemId: dune, text: "A desert epic about Spice.", version: "demo-v1", at: "2026-11-01T10:00:00Z" },
      { itemId: dune, text: "A desert epic about Spice.", version: "demo-v1", at: "2026-12-01T10:00:00Z" },
      { itemId: dune, text: "A desert epic about Spice.", version: "baseline:cooccurrence", at: "2026-12-02T10:00:00Z" },
      { itemId: emma, text: "A comedy of manners.", version: "demo-v1", at: "2026-12-02T11:00:00Z" },
      { itemId: emma, text: "", version: "demo-v1", at: "2026-12-02T12:00:00Z" },
    ];
    for (const [i, s] of shown.entries()) {
      await t.db.message.create({ data: { id: `${kind}-m${i}`, conversationId: conversation.id, role: "assistant", parts: [] } });
      await t.db.recommendation.create({
        data: { messageId: `${kind}-m${i}`, itemId: s.itemId, rank: 1, score: 1, modelVersion: s.version, reason: "similar to Foundation", explanation: s.text, createdAt: new Date(s.at) },
      });
    }
  });
  afterAll(() => t.cleanup());

  const queue = async (query: Record<string, string> = {}) => (await explanationQueue(t.db, queueFilters(QueueQuery.parse(query)))).rows;

  test("one row per text, most shown first, with counts and versions; empty texts are not queued", async () => {
    const rows = await queue();
    expect(rows.map((r) => [r.title, r.shown, r.status, r.modelVersions])).toEqual([
      ["Dune", 3, "pending", ["baseline:cooccurrence", "demo-v1"]],
      ["Emma", 1, "pending", ["demo-v1"]],
    ]);
  });

  test("filters: item, words (any case), reason, model version, dates (inclusive)", async () => {
    const titles = async (q: Record<string, string>) => (await queue(q)).map((r) => r.title);
    expect(await titles({ item: "dun" })).toEqual(["Dune"]);
    expect(await titles({ words: "MANNERS" })).toEqual(["Emma"]);
    expect(await titles({ reason: "foundation" })).toEqual(["Dune", "Emma"]);
    expect(await titles({ reason: "hobbit" })).toEqual([]);
    expect(await titles({ version: "baseline:cooccurrence" })).toEqual(["Dune"]);
    expect((await queue({ from: "2026-12-01", to: "2026-12-01" })).map((r) => [r.title, r.shown])).toEqual([["Dune", 1]]);
    expect(await titles({ to: "2026-11-30" })).toEqual(["Dune"]);
    expect(QueueQuery.safeParse({ from: "yesterday" }).success).toBe(false);
    expect(QueueQuery.safeParse({ status: "maybe" }).success).toBe(false);
  });

  test("approve, edit, reject: the status, what the chat serves, and the audit trail", async () => {
    const reason = "similar to Foundation";
    await decide(t.db, reviewer, { decision: "approved", entries: [{ itemId: dune, reason, text: "A desert epic about Spice." }] });
    expect(await approvedExplanation(t.db, { itemId: dune, reason })).toBe("A desert epic about Spice.");
    expect((await queue({ status: "approved" })).map((r) => r.title)).toEqual(["Dune"]);

    await edit(t.db, reviewer, { itemId: dune, reason, text: "A desert epic about Spice.", editedText: "  Politics,\u0000 ecology and\n religion on Arrakis. " });
    expect(await approvedExplanation(t.db, { itemId: dune, reason })).toBe("Politics, ecology and religion on Arrakis.");
    expect((await queue({ status: "edited" }))[0]).toMatchObject({ title: "Dune", editedText: "Politics, ecology and religion on Arrakis." });

    await decide(t.db, reviewer, { decision: "rejected", entries: [{ itemId: dune, reason, text: "A desert epic about Spice." }, { itemId: emma, reason, text: "A comedy of manners." }] });
    expect(await approvedExplanation(t.db, { itemId: dune, reason })).toBeNull();
    expect(await rejectedExplanations(t.db, { itemId: emma, reason })).toEqual(new Set(["a comedy of manners."]));
    expect((await queue({ status: "rejected" })).map((r) => r.title)).toEqual(["Dune", "Emma"]);
    expect(await queue({ status: "pending" })).toEqual([]);

    const history = await reviewHistory(t.db, { itemId: dune });
    expect(history?.entries.map((e) => [e.status, e.reviewer, e.editedText])).toEqual([
      ["rejected", "merch@example.com", null],
      ["edited", "merch@example.com", "Politics, ecology and religion on Arrakis."],
      ["approved", "merch@example.com", null],
    ]);
    expect(await reviewHistory(t.db, { itemId: 999_999 })).toBeNull();
  });

  test("bad decisions are refused and write nothing", async () => {
    const before = await t.db.explanationReview.count();
    const refused = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => (e as AppError).code);
    const reason = "similar to Foundation";
    expect(await refused(decide(t.db, reviewer, { decision: "approved", entries: [{ itemId: dune, reason, text: "x" }, { itemId: 999_999, reason, text: "y" }] }))).toBe("not_found:item");
    expect(await refused(edit(t.db, reviewer, { itemId: dune, reason, text: "x", editedText: " \u0007 " }))).toBe("bad_request:empty_edit");
    expect(await refused(edit(t.db, reviewer, { itemId: dune, reason, text: "x", editedText: "word ".repeat(300) }))).toBe("bad_request:long_edit");
    expect(await t.db.explanationReview.count()).toBe(before);
  });
});

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startAssistantMessage, touchAssistantMessage } from "@/server/db/queries/conversations";
import { recoverAbandonedAnswers, STALE_MS } from "@/server/conversations/recovery";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

// A server killed mid-answer leaves the answer `streaming`; the next start marks it failed and keeps
// what had streamed. On PostgreSQL an answer another live instance is still touching is left alone.
describe.each(["sqlite", "postgresql"] as const)("answer recovery on %s", (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(() => t.cleanup());

  async function conversationWithAnswers() {
    const user = await t.db.user.create({ data: {} });
    const conversation = await t.db.conversation.create({ data: { userId: user.id } });
    await t.db.message.create({
      data: { id: `${conversation.id}-q`, conversationId: conversation.id, role: "user", parts: [{ type: "text", text: "books like Dune" }] },
    });
    const partial = [{ type: "text", text: "Here are some picks." }, { type: "data-item", id: "item-1", data: { title: "Hyperion" } }];
    for (const id of ["abandoned", "live"]) await startAssistantMessage(t.db, { conversationId: conversation.id, id: `${conversation.id}-${id}` });
    await t.db.message.update({ where: { id: `${conversation.id}-abandoned` }, data: { parts: partial } });
    await t.db.message.create({ data: { id: `${conversation.id}-done`, conversationId: conversation.id, role: "assistant", parts: [], status: "complete" } });
    return { id: conversation.id, partial };
  }

  test("marks abandoned answers failed, keeps their parts, the question and finished answers", async () => {
    const c = await conversationWithAnswers();
    // The "live" answer was touched by its server just now; the abandoned one long ago.
    const longAgo = new Date(Date.now() - 10 * STALE_MS);
    await t.db.message.update({ where: { id: `${c.id}-abandoned` }, data: { updatedAt: longAgo } });
    await touchAssistantMessage(t.db, { id: `${c.id}-live` });

    const count = await recoverAbandonedAnswers(t.db, { kind });
    const rows = await t.db.message.findMany({ where: { conversationId: c.id }, orderBy: { id: "asc" } });
    const row = (name: string) => rows.find((r) => r.id === `${c.id}-${name}`)!;
    const byId = { abandoned: row("abandoned"), live: row("live"), done: row("done"), q: row("q") };

    expect(byId.abandoned.status).toBe("failed");
    expect(byId.abandoned.error).toMatch(/interrupted/);
    expect(byId.abandoned.parts).toEqual(c.partial);
    expect(byId.q).toMatchObject({ status: "complete", parts: [{ type: "text", text: "books like Dune" }] });
    expect(byId.done.status).toBe("complete");
    // SQLite has one server: at its start nothing can still be writing. PostgreSQL: another instance may.
    expect(byId.live.status).toBe(kind === "sqlite" ? "failed" : "streaming");
    expect(count).toBeGreaterThanOrEqual(kind === "sqlite" ? 2 : 1);
  });

  test("a second recovery finds nothing more to do, and a finished answer is never touched", async () => {
    const c = await conversationWithAnswers();
    await recoverAbandonedAnswers(t.db, { kind, now: new Date(Date.now() + 10 * STALE_MS) });
    expect(await recoverAbandonedAnswers(t.db, { kind, now: new Date(Date.now() + 10 * STALE_MS) })).toBe(0);
    await touchAssistantMessage(t.db, { id: `${c.id}-done` });
    const done = await t.db.message.findUniqueOrThrow({ where: { id: `${c.id}-done` } });
    expect(done.status).toBe("complete");
    const failed = await t.db.message.findMany({ where: { conversationId: c.id, status: "failed" } });
    expect(failed.map((m) => m.id).sort()).toEqual([`${c.id}-abandoned`, `${c.id}-live`]);
  });
});

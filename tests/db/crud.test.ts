import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

// One round trip through openDb() per provider: the same code, the same results.
describe.each(["sqlite", "postgresql"] as const)("Prisma client on %s", (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(() => t.cleanup());

  test("stores and reads back users, conversations, messages with JSON parts, items, interactions", async () => {
    const { db } = t;
    const user = await db.user.create({ data: { externalId: "goodbooks:42", role: "merchandiser" } });
    const parts = [
      { type: "text", text: "Books like Dune, but shorter — «quick» ✓" },
      { type: "data-item", id: "card-1", data: { itemId: 7, title: "Hyperion", score: 0.91, tags: ["sf", null] } },
    ];
    const conversation = await db.conversation.create({
      data: {
        userId: user.id,
        messages: { create: { id: "msg-assistant-1", role: "assistant", parts, status: "streaming" } },
      },
    });
    const item = await db.item.create({
      data: {
        catalog: "goodbooks",
        externalId: "7",
        title: "Hyperion",
        year: 1989,
        creators: "Dan Simmons",
        genres: "|science fiction|",
        metadata: { isbn: "0553283685", pages: 482, nested: { rating: 4.2 } },
      },
    });
    const at = new Date("2026-01-02T03:04:05.678Z");
    await db.interaction.create({
      data: { userId: user.id, itemId: item.id, kind: "rating", value: 4.5, at, source: "import:abc123" },
    });
    await db.message.update({ where: { id: "msg-assistant-1" }, data: { status: "complete" } });

    const loaded = await db.user.findUniqueOrThrow({
      where: { externalId: "goodbooks:42" },
      include: { conversations: { include: { messages: true } }, interactions: { include: { item: true } } },
    });
    expect(loaded.role).toBe("merchandiser");
    expect(loaded.conversations).toHaveLength(1);
    expect(loaded.conversations[0]!.id).toBe(conversation.id);
    expect(loaded.conversations[0]!.title).toBe("New chat");
    const message = loaded.conversations[0]!.messages[0]!;
    expect(message).toMatchObject({ id: "msg-assistant-1", role: "assistant", status: "complete", error: null });
    expect(message.parts).toEqual(parts);
    expect(loaded.interactions).toEqual([
      expect.objectContaining({ kind: "rating", value: 4.5, at, source: "import:abc123" }),
    ]);
    const loadedItem = loaded.interactions[0]!.item;
    expect(loadedItem.metadata).toEqual({ isbn: "0553283685", pages: 482, nested: { rating: 4.2 } });
    expect(typeof loadedItem.id).toBe("number");
  });

  test("every enum value round-trips", async () => {
    const { db } = t;
    const user = await db.user.create({ data: {} });
    const item = await db.item.create({ data: { catalog: "enum-test", externalId: "1", title: "T", metadata: {} } });
    const kinds = ["rating", "view", "to_read", "click", "like", "dislike", "save", "not_interested"] as const;
    for (const [i, kind] of kinds.entries()) {
      await db.interaction.create({ data: { userId: user.id, itemId: item.id, kind, at: new Date(i * 1000), source: "test" } });
    }
    const stored = await db.interaction.findMany({ where: { userId: user.id }, orderBy: { at: "asc" } });
    expect(stored.map((row) => row.kind)).toEqual([...kinds]);

    const version = await db.modelVersion.create({ data: { name: `v-${kind}`, path: "models/v1", metrics: { hr1: 0.4 } } });
    expect(version.status).toBe("candidate");
    const job = await db.updateJob.create({ data: { modelVersionId: version.id } });
    expect(job).toMatchObject({ status: "queued", progress: 0, log: "" });
    await expect(db.updateJob.update({ where: { id: job.id }, data: { status: "succeeded", progress: 1 } })).resolves.toMatchObject({
      status: "succeeded",
    });
  });

  test("a unique constraint violation is reported as P2002, and the first row is kept", async () => {
    const { db } = t;
    await db.item.create({ data: { catalog: "dup", externalId: "1", title: "First", metadata: {} } });

    const duplicate = db.item.create({ data: { catalog: "dup", externalId: "1", title: "Second", metadata: {} } });

    await expect(duplicate).rejects.toMatchObject({ code: "P2002" });
    expect(await db.item.findMany({ where: { catalog: "dup" }, select: { title: true } })).toEqual([{ title: "First" }]);
  });

  test("deleting a user cascades to conversations and messages", async () => {
    const { db } = t;
    const user = await db.user.create({
      data: { conversations: { create: { messages: { create: { id: `m-${kind}-cascade`, role: "user", parts: [] } } } } },
    });
    await db.user.delete({ where: { id: user.id } });
    expect(await db.message.findUnique({ where: { id: `m-${kind}-cascade` } })).toBeNull();
  });
});

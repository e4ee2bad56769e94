import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatLimits, checkChatLimits } from "@/server/chat/limits";
import { AppError } from "@/server/http/errors";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

const limits = { messagesPerMinute: 3, concurrentAnswers: 1 };

describe.each(["sqlite", "postgresql"] as const)("per-user chat limits on %s", (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(() => t.cleanup());

  async function userWithMessages(times: Date[], streaming = 0) {
    const user = await t.db.user.create({ data: {} });
    const conversation = await t.db.conversation.create({ data: { userId: user.id } });
    let n = 0;
    for (const createdAt of times) {
      await t.db.message.create({ data: { id: `${conversation.id}-${n++}`, conversationId: conversation.id, role: "user", parts: [], createdAt } });
    }
    for (let i = 0; i < streaming; i++) {
      await t.db.message.create({ data: { id: `${conversation.id}-${n++}`, conversationId: conversation.id, role: "assistant", parts: [], status: "streaming" } });
    }
    return user.id;
  }

  const refusal = (promise: Promise<void>) => promise.then(() => null, (e: unknown) => e as AppError);
  const now = new Date("2026-12-03T12:00:00Z");
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);

  it("lets a user send up to the limit in a minute, then answers rate_limited with the wait", async () => {
    expect(await refusal(checkChatLimits(t.db, { userId: await userWithMessages([ago(50), ago(10)]), now, limits }))).toBeNull();
    const error = await refusal(checkChatLimits(t.db, { userId: await userWithMessages([ago(50), ago(30), ago(10)]), now, limits }));
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "rate_limited:messages", status: 429 });
    expect(error!.retryAfterSeconds).toBeCloseTo(10, 3); // the oldest of the three leaves the window in 10 s
  });

  it("does not count messages older than a minute, or other users' messages", async () => {
    expect(await refusal(checkChatLimits(t.db, { userId: await userWithMessages([ago(300), ago(61), ago(59), ago(1)]), now, limits }))).toBeNull();
    await userWithMessages([ago(3), ago(2), ago(1)]); // someone else, at the limit
    expect(await refusal(checkChatLimits(t.db, { userId: await userWithMessages([]), now, limits }))).toBeNull();
  });

  it("refuses a new message while the user's answers at the concurrency limit are still being written", async () => {
    const error = await refusal(checkChatLimits(t.db, { userId: await userWithMessages([ago(5)], 1), now, limits }));
    expect(error).toMatchObject({ code: "rate_limited:answers", status: 429, retryAfterSeconds: 5 });
  });
});

describe("chat limit settings", () => {
  it("reads them from the environment, with defaults, and refuses nonsense", () => {
    expect(chatLimits({})).toEqual({ messagesPerMinute: 20, concurrentAnswers: 2 });
    expect(chatLimits({ RECO_MESSAGES_PER_MINUTE: "5", RECO_CONCURRENT_ANSWERS: "1" })).toEqual({ messagesPerMinute: 5, concurrentAnswers: 1 });
    expect(() => chatLimits({ RECO_MESSAGES_PER_MINUTE: "0" })).toThrow(/RECO_MESSAGES_PER_MINUTE/);
    expect(() => chatLimits({ RECO_CONCURRENT_ANSWERS: "two" })).toThrow(/RECO_CONCURRENT_ANSWERS/);
  });
});

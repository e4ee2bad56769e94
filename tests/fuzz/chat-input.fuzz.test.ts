import { createUIMessageStream, type UIMessageChunk } from "ai";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanText } from "@/server/chat/clean-text";
import { ChatRequest, messageText } from "@/server/chat/request";
import { type ChatMessage, MAX_MESSAGE_CHARS } from "@/server/chat/types";
import { ensureConversation, saveUserMessage } from "@/server/db/queries/conversations";
import { importFiles } from "@/server/import/import";
import { runTurn } from "@/server/recommend/turn";
import { ensureVisitor } from "@/server/db/queries/users";
import { fixture } from "../import/helpers";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

/**
 * Properties of whatever a visitor can type: any string (lone surrogates, control characters,
 * right-to-left marks, huge or empty) is either refused with a reason or cleaned into text every
 * database stores; and a chat turn on any accepted text finishes with a complete, stored answer.
 */
const typed = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 80 }),
  fc.constantFrom("", " ", "\u0000", "Dune\u0000Messiah", "\uD800", "\u202Eevil", "not romance, no horror, not by anyone", "x".repeat(MAX_MESSAGE_CHARS + 1)),
  fc.array(fc.constantFrom("like", "Hobbit", "not", "romance", "by", "Tolkien", "1990s", "short", "funny", "\n", ",", "'"), { maxLength: 30 }).map((w) => w.join(" ")),
);

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

describe("chat input fuzzing", () => {
  it("any text is refused with a reason or cleaned into storable text", () => {
    fc.assert(
      fc.property(typed, (text) => {
        const parsed = ChatRequest.safeParse({ id: "conversation-fuzz", message: { id: "m", role: "user", parts: [{ type: "text", text }] } });
        expect(parsed.success).toBe(true);
        const result = messageText(parsed.data!);
        if ("error" in result) {
          expect(result.error).toMatch(/^The message is (empty|too long)/);
          return;
        }
        expect(result.text.length).toBeGreaterThan(0);
        expect(result.text.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
        expect(result.text.isWellFormed()).toBe(true);
        expect(result.text).not.toMatch(CONTROL);
        expect(cleanText(result.text)).toBe(result.text);
      }),
      { numRuns: 2000, seed: 20261203 },
    );
  });

  describe.each(["sqlite", "postgresql"] as const)("a chat turn on %s", (kind) => {
    let t: TestDatabase;
    const userId = "00000000-0000-4000-8000-0000000f0220";
    beforeAll(async () => {
      t = await createTestDatabase(kind);
      await importFiles(t.db, ["books.csv", "ratings.csv", "to_read.csv"].map((name) => fixture(`goodbooks/${name}`)));
      await ensureVisitor(t.db, userId);
    });
    afterAll(() => t.cleanup());

    it("finishes with a complete stored answer for any accepted text", async () => {
      let turns = 0;
      await fc.assert(
        fc.asyncProperty(typed, async (typedText) => {
          const parsed = ChatRequest.parse({ id: "conversation-fuzz", message: { id: "m", role: "user", parts: [{ type: "text", text: typedText }] } });
          const accepted = messageText(parsed);
          if ("error" in accepted) return;
          const conversationId = `fuzz-${turns++}`;
          const message: ChatMessage = { id: `${conversationId}-q`, role: "user", parts: [{ type: "text", text: accepted.text }] };
          await ensureConversation(t.db, { id: conversationId, userId, firstText: accepted.text });
          await saveUserMessage(t.db, { conversationId, message });
          let failure: unknown = null;
          const stream = createUIMessageStream<ChatMessage>({
            execute: ({ writer }) => runTurn({ db: t.db, userId, conversationId, text: accepted.text, assistantMessageId: `${conversationId}-a`, writer }),
            onError: (error) => {
              failure = error;
              return "failed";
            },
          });
          for await (const chunk of stream as unknown as AsyncIterable<UIMessageChunk>) void chunk;
          expect(failure).toBeNull();
          const stored = await t.db.message.findMany({ where: { conversationId }, orderBy: { createdAt: "asc" } });
          expect(stored.map((m) => [m.role, m.status])).toEqual([["user", "complete"], ["assistant", "complete"]]);
          expect(stored[0]!.parts).toEqual([{ type: "text", text: accepted.text }]);
        }),
        { numRuns: 40, seed: 20261203 },
      );
      expect(turns).toBeGreaterThan(20);
    });
  });
});

import "server-only";
import type { Db } from "../client";
import type { ChatMessage } from "../../chat/types";
import type { Prisma } from "../generated/sqlite/client";

// UI message parts are plain JSON; Prisma's input type cannot see that through the union.
const asJson = (parts: ChatMessage["parts"]) => parts as unknown as Prisma.InputJsonArray;

/**
 * Every read and write of conversations and messages. What a visitor reaches by a conversation id
 * takes the owner's user id too, so one visitor can never read or write another visitor's chat;
 * the rest (an answer's progress, crash recovery) works on ids the server generated itself.
 */

export type ConversationSummary = { id: string; title: string; updatedAt: Date };

export async function listConversations(db: Db, { userId }: { userId: string }): Promise<ConversationSummary[]> {
  return db.conversation.findMany({
    where: { userId },
    orderBy: { updatedAt: "desc" },
    select: { id: true, title: true, updatedAt: true },
    take: 100,
  });
}

export type StoredMessage = ChatMessage & { status: "streaming" | "complete" | "failed" };

/** The conversation with its messages in order, or null if it does not exist or is not the user's. */
export async function getConversation(
  db: Db,
  { id, userId }: { id: string; userId: string },
): Promise<{ id: string; title: string; messages: StoredMessage[] } | null> {
  const conversation = await db.conversation.findFirst({
    where: { id, userId },
    include: { messages: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] } },
  });
  if (!conversation) return null;
  return {
    id: conversation.id,
    title: conversation.title,
    messages: conversation.messages.map((m) => ({
      id: m.id,
      role: m.role,
      parts: m.parts as ChatMessage["parts"],
      status: m.status,
    })),
  };
}

/** Whether a conversation with this id exists and belongs to someone other than `userId`. */
export async function ownedByAnother(db: Db, { id, userId }: { id: string; userId: string }): Promise<boolean> {
  const conversation = await db.conversation.findUnique({ where: { id }, select: { userId: true } });
  return conversation !== null && conversation.userId !== userId;
}

/** A short title from the first message: its first line, cut at a word boundary. */
export function titleFromText(text: string): string {
  const line = text.trim().split("\n")[0]?.replace(/\s+/g, " ") ?? "";
  if (line.length <= 60) return line || "New chat";
  const cut = line.slice(0, 60);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(" "), 40))}…`;
}

export class ConversationOwnershipError extends Error {
  constructor() {
    super("This conversation belongs to someone else.");
  }
}

/** Creates the conversation on its first message; refuses an id owned by another user. */
export async function ensureConversation(
  db: Db,
  { id, userId, firstText }: { id: string; userId: string; firstText: string },
): Promise<void> {
  const existing = await db.conversation.findUnique({ where: { id }, select: { userId: true } });
  if (existing && existing.userId !== userId) throw new ConversationOwnershipError();
  if (!existing) await db.conversation.create({ data: { id, userId, title: titleFromText(firstText) } });
}

/**
 * A new message's time: now, or 1 ms after the conversation's latest message when that is not
 * earlier (a question and its answer are often stored within the same millisecond). Messages are
 * read back in createdAt order, so this keeps them in the order they were written.
 */
async function nextMessageTime(db: Db, conversationId: string): Promise<Date> {
  const latest = await db.message.findFirst({ where: { conversationId }, orderBy: { createdAt: "desc" }, select: { createdAt: true } });
  return new Date(Math.max(Date.now(), (latest?.createdAt.getTime() ?? 0) + 1));
}

export async function saveUserMessage(
  db: Db,
  { conversationId, message }: { conversationId: string; message: ChatMessage },
): Promise<void> {
  // The same id twice (a retried request) must not duplicate the message.
  await db.$transaction(async (tx) => {
    const createdAt = await nextMessageTime(tx as Db, conversationId);
    await tx.message.upsert({
      where: { id: message.id },
      create: { id: message.id, conversationId, role: "user", parts: asJson(message.parts), status: "complete", createdAt },
      update: {},
    });
    await tx.conversation.update({ where: { id: conversationId }, data: { updatedAt: new Date() } });
  });
}

/** Stores the assistant message as `streaming` before the first byte goes out. */
export async function startAssistantMessage(
  db: Db,
  { conversationId, id }: { conversationId: string; id: string },
): Promise<void> {
  await db.$transaction(async (tx) => {
    const createdAt = await nextMessageTime(tx as Db, conversationId);
    await tx.message.create({ data: { id, conversationId, role: "assistant", parts: [], status: "streaming", createdAt } });
  });
}

/** Saves what has streamed so far (status stays `streaming`): a crash mid-answer keeps it. */
export async function saveAssistantProgress(db: Db, { id, parts }: { id: string; parts: ChatMessage["parts"] }): Promise<void> {
  await db.message.update({ where: { id }, data: { parts: asJson(parts) } });
}

export async function finishAssistantMessage(
  db: Db,
  {
    id,
    parts,
    status,
    error,
    firstCardMs,
  }: { id: string; parts: ChatMessage["parts"]; status: "complete" | "failed"; error?: string; firstCardMs?: number | null },
): Promise<void> {
  await db.message.update({ where: { id }, data: { parts: asJson(parts), status, error: error ?? null, firstCardMs: firstCardMs ?? null } });
}

/**
 * Marks a live answer as still being written. A turn calls this every few seconds, so an answer
 * whose server died can be told from one that another server is still streaming.
 */
export async function touchAssistantMessage(db: Db, { id }: { id: string }): Promise<void> {
  await db.message.updateMany({ where: { id, status: "streaming" }, data: { updatedAt: new Date() } });
}

/**
 * Answers left `streaming` by a server that stopped (killed, crashed) and not touched since
 * `staleBefore`: marked failed, with what had streamed kept. Returns how many.
 */
export async function failAbandonedMessages(db: Db, { staleBefore }: { staleBefore: Date }): Promise<number> {
  const { count } = await db.message.updateMany({
    where: { status: "streaming", updatedAt: { lt: staleBefore } },
    data: { status: "failed", error: "interrupted: the server stopped while answering" },
  });
  return count;
}

/**
 * The conversation's latest messages that are no longer being written, oldest first, with the
 * items each answer showed in rank order (what "the second one" refers to).
 */
export async function settledMessages(db: Db, { conversationId, take }: { conversationId: string; take: number }) {
  const stored = await db.message.findMany({
    where: { conversationId, status: { not: "streaming" } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take,
    select: { id: true, role: true, parts: true, recommendations: { select: { itemId: true, rank: true }, orderBy: { rank: "asc" } } },
  });
  return stored.reverse();
}

/** When the user's messages since `since` were sent, oldest first, at most `take` of them. */
export async function userMessageTimes(db: Db, { userId, since, take }: { userId: string; since: Date; take: number }): Promise<Date[]> {
  const rows = await db.message.findMany({
    where: { role: "user", createdAt: { gt: since }, conversation: { userId } },
    orderBy: { createdAt: "asc" },
    select: { createdAt: true },
    take,
  });
  return rows.map((r) => r.createdAt);
}

/** How many of the user's answers are being written now. */
export async function answersBeingWritten(db: Db, { userId }: { userId: string }): Promise<number> {
  return db.message.count({ where: { role: "assistant", status: "streaming", conversation: { userId } } });
}

export async function deleteConversation(db: Db, { id, userId }: { id: string; userId: string }): Promise<void> {
  await db.conversation.deleteMany({ where: { id, userId } });
}

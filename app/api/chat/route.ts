import { createUIMessageStream, createUIMessageStreamResponse, generateId } from "ai";
import { ChatRequest, messageText } from "@/server/chat/request";
import type { ChatMessage } from "@/server/chat/types";
import { currentVisitor } from "@/server/chat/visitor-session";
import { ConversationOwnershipError, ensureConversation, saveUserMessage } from "@/server/conversations/queries";
import { runTurn } from "@/server/recommend/turn";

export const dynamic = "force-dynamic";

function problem(status: number, message: string) {
  return Response.json({ error: message }, { status });
}

export async function POST(request: Request) {
  const visitor = await currentVisitor();
  if (!visitor) return problem(401, "No visitor identity: enable cookies and reload the page.");

  const parsed = ChatRequest.safeParse(await request.json().catch(() => null));
  if (!parsed.success) return problem(400, `Bad request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const text = messageText(parsed.data);
  if ("error" in text) return problem(400, text.error);

  const { db, userId } = visitor;
  const conversationId = parsed.data.id;
  try {
    await ensureConversation(db, { id: conversationId, userId, firstText: text.text });
  } catch (error) {
    if (error instanceof ConversationOwnershipError) return problem(403, error.message);
    throw error;
  }
  // Stored as cleaned (what the recommender read), not as sent.
  const message: ChatMessage = { id: parsed.data.message.id, role: "user", parts: [{ type: "text", text: text.text }] };
  await saveUserMessage(db, { conversationId, message });

  const stream = createUIMessageStream<ChatMessage>({
    execute: ({ writer }) =>
      runTurn({
        db,
        userId,
        conversationId,
        text: text.text,
        assistantMessageId: generateId(),
        writer,
        signal: request.signal,
      }),
    onError: (error) => {
      // A visitor who stops or leaves is not an error; the answer is stored as interrupted.
      if (!request.signal.aborted) console.error("chat turn failed", error);
      return "Something went wrong while answering. Your message is saved; try again.";
    },
  });
  return createUIMessageStreamResponse({ stream });
}

import { createUIMessageStream, createUIMessageStreamResponse, generateId } from "ai";
import { checkChatLimits, MAX_CHAT_BODY_BYTES } from "@/server/chat/limits";
import { ChatRequest, messageText } from "@/server/chat/request";
import type { ChatMessage } from "@/server/chat/types";
import { currentActor } from "@/server/auth/session";
import { ConversationOwnershipError, ensureConversation, saveUserMessage } from "@/server/db/queries/conversations";
import { AppError, errorResponse } from "@/server/http/errors";
import { checkSameOrigin, readJsonBody } from "@/server/http/guards";
import { runTurn } from "@/server/recommend/turn";

export const dynamic = "force-dynamic";

export async function POST(request: Request) {
  try {
    checkSameOrigin(request);
    const actor = await currentActor();
    if (!actor) throw new AppError("unauthorized:identity", "No identity: enable cookies and reload the page.");

    const parsed = ChatRequest.safeParse(await readJsonBody(request, MAX_CHAT_BODY_BYTES));
    if (!parsed.success) throw new AppError("bad_request:body", `Bad request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const text = messageText(parsed.data);
    if ("error" in text) throw new AppError("bad_request:message", text.error);

    const { db, userId } = actor;
    await checkChatLimits(db, { userId });
    const conversationId = parsed.data.id;
    await ensureConversation(db, { id: conversationId, userId, firstText: text.text }).catch((error: unknown) => {
      // Another visitor's conversation is "not found", as its page is: its existence is not theirs to learn.
      throw error instanceof ConversationOwnershipError ? new AppError("not_found:conversation", "No such conversation.") : error;
    });
    // Stored as cleaned (what the recommender read), not as sent.
    const message: ChatMessage = { id: parsed.data.message.id, role: "user", parts: [{ type: "text", text: text.text }] };
    await saveUserMessage(db, { conversationId, message });

    const stream = createUIMessageStream<ChatMessage>({
      execute: ({ writer }) =>
        runTurn({ db, userId, conversationId, text: text.text, assistantMessageId: generateId(), writer, signal: request.signal }),
      onError: (error) => {
        // A visitor who stops or leaves is not an error; the answer is stored as interrupted.
        if (!request.signal.aborted) console.error("chat turn failed", error);
        return "Something went wrong while answering. Your message is saved; try again.";
      },
    });
    return createUIMessageStreamResponse({ stream });
  } catch (error) {
    return errorResponse(error);
  }
}

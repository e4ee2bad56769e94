import { z } from "zod";
import { cleanText } from "./clean-text";
import { MAX_MESSAGE_CHARS } from "./types";

/** The body useChat posts to /api/chat: the conversation id and the new user message only. */
export const ChatRequest = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "conversation id must be 8–64 letters, digits, _ or -"),
  message: z.object({
    id: z.string().min(1).max(64),
    role: z.literal("user"),
    parts: z
      .array(z.object({ type: z.literal("text"), text: z.string() }))
      .min(1, "the message has no text"),
  }),
});

export type ChatRequest = z.infer<typeof ChatRequest>;

/** The message's text, or a reason it cannot be answered. */
export function messageText(request: ChatRequest): { text: string } | { error: string } {
  const text = cleanText(request.message.parts.map((p) => p.text).join("\n")).trim();
  if (!text) return { error: "The message is empty." };
  if (text.length > MAX_MESSAGE_CHARS) {
    return { error: `The message is too long (${text.length} characters; the limit is ${MAX_MESSAGE_CHARS}).` };
  }
  return { text };
}

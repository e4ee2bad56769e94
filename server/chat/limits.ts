import { z } from "zod";
import type { Db } from "../db/client";
import { answersBeingWritten, userMessageTimes } from "../db/queries/conversations";
import { AppError } from "../http/errors";

/**
 * Per-user limits on the chat, counted in the database so that they hold across restarts and
 * across app instances: messages per minute, and answers being written at once (each one holds
 * the model for seconds). Both answer 429 with Retry-After.
 */
const Settings = z.object({
  RECO_MESSAGES_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  RECO_CONCURRENT_ANSWERS: z.coerce.number().int().min(1).default(2),
});

export function chatLimits(env: Record<string, string | undefined> = process.env) {
  const parsed = Settings.safeParse(env);
  if (!parsed.success) throw new Error(`chat limits: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
  return { messagesPerMinute: parsed.data.RECO_MESSAGES_PER_MINUTE, concurrentAnswers: parsed.data.RECO_CONCURRENT_ANSWERS };
}

/** The largest request body the chat route reads: one message of MAX_MESSAGE_CHARS with room for JSON. */
export const MAX_CHAT_BODY_BYTES = 64 * 1024;

const WINDOW_MS = 60_000;
/** How soon to retry when answers are still being written: about one answer's time. */
const BUSY_RETRY_SECONDS = 5;

/** Throws `rate_limited:…` when this user may not send another message now. */
export async function checkChatLimits(
  db: Db,
  { userId, now = new Date(), limits = chatLimits() }: { userId: string; now?: Date; limits?: ReturnType<typeof chatLimits> },
): Promise<void> {
  const recent = await userMessageTimes(db, { userId, since: new Date(now.getTime() - WINDOW_MS), take: limits.messagesPerMinute });
  if (recent.length >= limits.messagesPerMinute) {
    const retryAfter = (recent[0]!.getTime() + WINDOW_MS - now.getTime()) / 1000;
    throw new AppError("rate_limited:messages", `You are sending messages too fast (the limit is ${limits.messagesPerMinute} a minute). Try again in a moment.`, retryAfter);
  }
  const writing = await answersBeingWritten(db, { userId });
  if (writing >= limits.concurrentAnswers) {
    throw new AppError(
      "rate_limited:answers",
      `${writing === 1 ? "An answer is" : `${writing} answers are`} still being written for you (the limit is ${limits.concurrentAnswers} at once). Wait for one to finish.`,
      BUSY_RETRY_SECONDS,
    );
  }
}

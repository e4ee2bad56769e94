"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { FEEDBACK_KINDS, type FeedbackKindName } from "@/server/chat/types";
import { currentVisitor } from "@/server/chat/visitor-session";
import { deleteConversation } from "@/server/db/queries/conversations";
import { FeedbackTargetError, toggleFeedback } from "@/server/db/queries/feedback";

const FeedbackInput = z.object({ recommendationId: z.string().min(1).max(64), kind: z.enum(FEEDBACK_KINDS) });

export type FeedbackResult = { ok: true; active: FeedbackKindName[] } | { ok: false; error: string };

export async function sendFeedback(input: { recommendationId: string; kind: FeedbackKindName }): Promise<FeedbackResult> {
  const parsed = FeedbackInput.safeParse(input);
  if (!parsed.success) return { ok: false, error: "Unknown feedback." };
  const visitor = await currentVisitor();
  if (!visitor) return { ok: false, error: "No visitor identity: enable cookies and reload." };
  try {
    return { ok: true, active: await toggleFeedback(visitor.db, { userId: visitor.userId, ...parsed.data }) };
  } catch (error) {
    if (error instanceof FeedbackTargetError) return { ok: false, error: error.message };
    console.error("feedback failed", error);
    return { ok: false, error: "Could not save your feedback. Try again." };
  }
}

export async function removeConversation(id: string): Promise<void> {
  const visitor = await currentVisitor();
  if (!visitor) return;
  await deleteConversation(visitor.db, { id, userId: visitor.userId });
  revalidatePath("/", "layout");
}

"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { FEEDBACK_KINDS, type FeedbackKindName } from "@/server/chat/types";
import { currentActor } from "@/server/auth/session";
import { deleteConversation } from "@/server/db/queries/conversations";
import { FeedbackTargetError, toggleFeedback } from "@/server/db/queries/feedback";

const FeedbackInput = z.object({ recommendationId: z.string().min(1).max(64), kind: z.enum(FEEDBACK_KINDS) });

export type FeedbackResult = { ok: true; active: FeedbackKindName[] } | { ok: false; error: string };

export async function sendFeedback(input: { recommendationId: string; kind: FeedbackKindName }): Promise<FeedbackResult> {
  const parsed = FeedbackInput.safeParse(input);
  if (!parsed.success) return { ok: false, error: "Unknown feedback." };
  const actor = await currentActor();
  if (!actor) return { ok: false, error: "No visitor identity: enable cookies and reload." };
  try {
    return { ok: true, active: await toggleFeedback(actor.db, { userId: actor.userId, ...parsed.data }) };
  } catch (error) {
    if (error instanceof FeedbackTargetError) return { ok: false, error: error.message };
    console.error("feedback failed", error);
    return { ok: false, error: "Could not save your feedback. Try again." };
  }
}

export async function removeConversation(id: string): Promise<void> {
  const actor = await currentActor();
  if (!actor) return;
  await deleteConversation(actor.db, { id, userId: actor.userId });
  revalidatePath("/", "layout");
}

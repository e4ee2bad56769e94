"use server";

import { revalidatePath } from "next/cache";
import { authorize } from "@/server/auth/session";
import { AppError } from "@/server/http/errors";
import { DecisionInput, EditInput, decide, edit } from "@/server/review/review";

export type ReviewResult = { ok: true; count: number } | { ok: false; error: string };

async function asReviewer(run: (reviewerId: string, db: Awaited<ReturnType<typeof authorize>>["db"]) => Promise<number>): Promise<ReviewResult> {
  try {
    const actor = await authorize("explanations.review");
    const count = await run(actor.userId, actor.db);
    revalidatePath("/review", "layout");
    return { ok: true, count };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, error: error.message };
    throw error;
  }
}

/** Approve or reject one or many texts as they were shown. */
export async function decideAction(input: unknown): Promise<ReviewResult> {
  const parsed = DecisionInput.safeParse(input);
  if (!parsed.success) return { ok: false, error: "Choose one or more texts (at most 200) and approve or reject them." };
  return asReviewer((reviewerId, db) => decide(db, reviewerId, parsed.data));
}

/** Replace a text with the merchandiser's own. */
export async function editAction(input: unknown): Promise<ReviewResult> {
  const parsed = EditInput.safeParse(input);
  if (!parsed.success) return { ok: false, error: "That edit is not valid: reload the queue and try again." };
  return asReviewer(async (reviewerId, db) => {
    await edit(db, reviewerId, parsed.data);
    return 1;
  });
}

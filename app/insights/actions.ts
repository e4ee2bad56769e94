"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authorize } from "@/server/auth/session";
import { AppError } from "@/server/http/errors";
import { activeCatalog } from "@/server/catalog/nouns";
import { cancelJob, startTrainingDataExport, startUpdate } from "@/server/jobs/jobs";
import { promote, rollback } from "@/server/models/versions";

export type VersionResult = { ok: true } | { ok: false; error: string; needsReason?: boolean };

const PromoteInput = z.object({ name: z.string().min(1).max(200), reason: z.string().max(500).optional() });
const RollbackInput = z.object({ name: z.string().min(1).max(200) });

async function asProductTeam(run: (actorId: string, db: Awaited<ReturnType<typeof authorize>>["db"]) => Promise<void>): Promise<VersionResult> {
  try {
    const actor = await authorize("models.update");
    await run(actor.userId, actor.db);
  } catch (error) {
    if (error instanceof AppError) return { ok: false, error: error.message, needsReason: error.code === "bad_request:worse_version" };
    throw error;
  }
  revalidatePath("/insights");
  return { ok: true };
}

/** Serve a candidate; a reason is needed (and recorded) when its offline HR@1 is lower than the serving version's. */
export async function promoteAction(input: unknown): Promise<VersionResult> {
  const parsed = PromoteInput.safeParse(input);
  if (!parsed.success) return { ok: false, error: "Unknown version." };
  return asProductTeam((actorId, db) => promote(db, { name: parsed.data.name, actorId, override: parsed.data.reason ?? null }));
}

/** Serve an earlier version again. */
export async function rollbackAction(input: unknown): Promise<VersionResult> {
  const parsed = RollbackInput.safeParse(input);
  if (!parsed.success) return { ok: false, error: "Unknown version." };
  return asProductTeam((actorId, db) => rollback(db, { name: parsed.data.name, actorId }));
}

export type JobStartResult = { ok: true; jobId: string } | { ok: false; error: string };

type JobStarter = typeof startTrainingDataExport | typeof startUpdate;

/** Starts a job that runs on in this server after the answer; the page polls /api/jobs/<id> and refreshes when it ends. */
async function startJobAs(start: JobStarter, what: string): Promise<JobStartResult> {
  try {
    const actor = await authorize("models.update");
    const { job, done } = await start(actor.db, { catalog: activeCatalog(), actorId: actor.userId });
    done.catch((error: unknown) => console.error(`${what} job failed`, error));
    return { ok: true, jobId: job.id };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, error: error.message };
    throw error;
  }
}

/** Exports the training data since the serving version. */
export async function startExportAction(): Promise<JobStartResult> {
  return startJobAs(startTrainingDataExport, "export");
}

/** Runs an incremental update of the serving version. */
export async function startUpdateAction(): Promise<JobStartResult> {
  return startJobAs(startUpdate, "update");
}

export async function cancelJobAction(input: unknown): Promise<VersionResult> {
  const parsed = z.object({ id: z.string().min(1).max(64) }).safeParse(input);
  if (!parsed.success) return { ok: false, error: "Unknown job." };
  return asProductTeam((_actorId, db) => cancelJob(db, { id: parsed.data.id }));
}

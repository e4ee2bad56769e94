import "server-only";
import type { Db } from "../db/client";
import { finishJob, getJob, jobVersionName, requestCancel, startJob, type JobRow } from "../db/queries/jobs";
import { AppError } from "../http/errors";
import { exportStage, servingVersionTrainedAt } from "./export-training-data";
import { runJob, type JobOutcome } from "./runner";
import { servingForUpdate, updateStages } from "./update";

/**
 * The learning loop's jobs, for the page and the CLI: the incremental update (server/jobs/update.ts),
 * and its first stage alone, the export of the training data (the interactions and feedback since
 * the serving version), for training elsewhere.
 */
export async function startTrainingDataExport(
  db: Db,
  { catalog, actorId, onProgress }: { catalog: string; actorId: string | null; onProgress?: (stage: string, fraction: number) => void },
): Promise<{ job: JobRow; done: Promise<JobOutcome> }> {
  const job = await startJob(db, { catalog, createdById: actorId });
  const since = await servingVersionTrainedAt(db);
  const done = runJob(db, job.id, [exportStage(db, { catalog, since: since?.at ?? null })], { onProgress });
  return { job, done };
}

/** Starts an incremental update of the serving version; refused at once when that version cannot be updated. */
export async function startUpdate(
  db: Db,
  { catalog, actorId, trainSamples = 0, onProgress }: { catalog: string; actorId: string | null; trainSamples?: number; onProgress?: (stage: string, fraction: number) => void },
): Promise<{ job: JobRow; done: Promise<JobOutcome> }> {
  const serving = await servingForUpdate(db);
  const job = await startJob(db, { catalog, createdById: actorId });
  try {
    const stages = await updateStages(db, { catalog, jobId: job.id, serving, trainSamples });
    return { job, done: runJob(db, job.id, stages, { onProgress }) };
  } catch (error) {
    await finishJob(db, { id: job.id, status: "failed", error: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}

export async function cancelJob(db: Db, { id }: { id: string }): Promise<void> {
  if (!(await requestCancel(db, { id }))) throw new AppError("bad_request:not_running", "This job is not running any more.");
}

/** A job and the model version it produced (an update's candidate), if any. */
export async function jobStatus(db: Db, { id }: { id: string }): Promise<JobRow & { version: string | null }> {
  const job = await getJob(db, { id });
  if (!job) throw new AppError("not_found:job", "No such job.");
  return { ...job, version: await jobVersionName(db, { id }) };
}

/** Why the serving version cannot be updated (shown beside a disabled button), or null when it can. */
export async function updateBlockedReason(db: Db): Promise<string | null> {
  try {
    await servingForUpdate(db);
    return null;
  } catch (error) {
    if (error instanceof AppError) return error.message;
    throw error;
  }
}

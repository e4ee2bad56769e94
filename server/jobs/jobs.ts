import "server-only";
import type { Db } from "../db/client";
import { getJob, requestCancel, startJob, type JobRow } from "../db/queries/jobs";
import { AppError } from "../http/errors";
import { exportStage, servingVersionTrainedAt } from "./export-training-data";
import { runJob, type JobOutcome } from "./runner";

/**
 * The learning loop's jobs, for the page and the CLI. Today's job: export the training data that
 * an incremental update learns from (the interactions and feedback since the serving version).
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

export async function cancelJob(db: Db, { id }: { id: string }): Promise<void> {
  if (!(await requestCancel(db, { id }))) throw new AppError("bad_request:not_running", "This job is not running any more.");
}

export async function jobStatus(db: Db, { id }: { id: string }): Promise<JobRow> {
  const job = await getJob(db, { id });
  if (!job) throw new AppError("not_found:job", "No such job.");
  return job;
}

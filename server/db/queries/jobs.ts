import "server-only";
import type { Db } from "../client";
import { AppError } from "../../http/errors";

export type JobRow = {
  id: string;
  catalog: string;
  status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  stage: string;
  progress: number;
  log: string;
  error: string | null;
  cancelRequested: boolean;
  outputPath: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
};

const isPostgres = (db: Db) => (db as unknown as { _activeProvider: string })._activeProvider === "postgresql";

/**
 * Starts a job for a catalog unless one is already running there. On PostgreSQL the check and the
 * insert hold a transaction-scoped advisory lock on the catalog, so two app instances cannot both
 * start one; on SQLite the database takes one writer at a time.
 */
export async function startJob(db: Db, { catalog, createdById }: { catalog: string; createdById: string | null }): Promise<JobRow> {
  return db.$transaction(async (tx) => {
    if (isPostgres(db)) await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`reco:job:${catalog}`}))`;
    const active = await tx.updateJob.findFirst({ where: { catalog, status: { in: ["queued", "running"] } }, select: { id: true } });
    if (active) throw new AppError("conflict:job_running", "A job is already running for this catalog: wait for it to finish, or cancel it.");
    return (await tx.updateJob.create({ data: { catalog, createdById, status: "running", startedAt: new Date() } })) as JobRow;
  });
}

export async function getJob(db: Db, { id }: { id: string }): Promise<JobRow | null> {
  return (await db.updateJob.findUnique({ where: { id } })) as JobRow | null;
}

/** Records progress (and proves the job alive); returns whether someone asked to cancel it. */
export async function touchJob(db: Db, { id, stage, progress, log }: { id: string; stage?: string; progress?: number; log?: string }): Promise<boolean> {
  const row = await db.updateJob.update({
    where: { id },
    data: { ...(stage !== undefined ? { stage } : {}), ...(progress !== undefined ? { progress } : {}), ...(log !== undefined ? { log } : {}), updatedAt: new Date() },
    select: { cancelRequested: true },
  });
  return row.cancelRequested;
}

export async function finishJob(
  db: Db,
  { id, status, error = null, outputPath = null, log }: { id: string; status: "succeeded" | "failed" | "cancelled"; error?: string | null; outputPath?: string | null; log?: string },
): Promise<void> {
  await db.updateJob.update({
    where: { id },
    data: { status, error, outputPath, finishedAt: new Date(), ...(status === "succeeded" ? { progress: 1 } : {}), ...(log !== undefined ? { log } : {}) },
  });
}

/** Asks a running job to stop; false when it is not running (finished already, or unknown). */
export async function requestCancel(db: Db, { id }: { id: string }): Promise<boolean> {
  const { count } = await db.updateJob.updateMany({ where: { id, status: { in: ["queued", "running"] } }, data: { cancelRequested: true } });
  return count === 1;
}

/** Jobs whose runner stopped touching them before `staleBefore` (killed with their server): marked failed. */
export async function failAbandonedJobs(db: Db, { staleBefore }: { staleBefore: Date }): Promise<string[]> {
  const abandoned = await db.updateJob.findMany({ where: { status: { in: ["queued", "running"] }, updatedAt: { lt: staleBefore } }, select: { id: true } });
  if (abandoned.length === 0) return [];
  await db.updateJob.updateMany({
    where: { id: { in: abandoned.map((j) => j.id) }, status: { in: ["queued", "running"] } },
    data: { status: "failed", error: "The server stopped while this job was running.", finishedAt: new Date() },
  });
  return abandoned.map((j) => j.id);
}

/** The model version a job produced. */
export async function linkJobVersion(db: Db, { id, versionId }: { id: string; versionId: string }): Promise<void> {
  await db.updateJob.update({ where: { id }, data: { modelVersionId: versionId } });
}

export async function jobVersionName(db: Db, { id }: { id: string }): Promise<string | null> {
  const row = await db.updateJob.findUnique({ where: { id }, select: { modelVersion: { select: { name: true } } } });
  return row?.modelVersion?.name ?? null;
}

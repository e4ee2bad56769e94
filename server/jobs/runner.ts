import "server-only";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Db } from "../db/client";
import { failAbandonedJobs, finishJob, touchJob } from "../db/queries/jobs";

/**
 * Runs a job's stages in this process: the job row shows the stage and its progress (the page polls
 * it; the CLI draws a bar), a heartbeat proves the runner alive, a cancel request stops it at its
 * next progress report, and any end but success removes what it had written. A server killed
 * mid-job leaves the row `running` with a stale heartbeat: the next start marks it failed and
 * removes its partial folder (recoverAbandonedJobs).
 */
export const JOBS_DIR = path.resolve("data", "jobs");
export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 30_000;
const PROGRESS_EVERY_MS = 250;

export class JobCancelled extends Error {
  constructor() {
    super("cancelled");
  }
}

export type StageContext = {
  /** The folder the job writes into; renamed to its final place only if every stage succeeds. */
  dir: string;
  /** Reports progress within the stage (0..1); throws JobCancelled when a cancel was requested. */
  progress: (fraction: number) => Promise<void>;
  log: (line: string) => void;
};
export type Stage = { name: string; run: (ctx: StageContext) => Promise<void> };

/** The folder of a job's output, and of its work in progress. */
export const jobFolder = (id: string) => path.join(JOBS_DIR, id);
const partialFolder = (id: string) => path.join(JOBS_DIR, `${id}.partial`);

export type JobOutcome = "succeeded" | "failed" | "cancelled";

export async function runJob(db: Db, jobId: string, stages: Stage[], { onProgress }: { onProgress?: (stage: string, fraction: number) => void } = {}): Promise<JobOutcome> {
  const dir = partialFolder(jobId);
  const lines: string[] = [];
  const log = (line: string) => lines.push(`${new Date().toISOString().slice(11, 19)} ${line}`);
  let stage = "";
  let lastReport = 0;
  const heartbeat = setInterval(() => {
    touchJob(db, { id: jobId }).catch((error: unknown) => console.error("job heartbeat failed", error));
  }, HEARTBEAT_MS);
  try {
    await mkdir(dir, { recursive: true });
    for (const [i, s] of stages.entries()) {
      stage = s.name;
      log(`${s.name}: started`);
      const overall = (fraction: number) => (i + Math.min(1, Math.max(0, fraction))) / stages.length;
      if (await touchJob(db, { id: jobId, stage, progress: overall(0), log: lines.join("\n") })) throw new JobCancelled();
      await s.run({
        dir,
        log,
        progress: async (fraction) => {
          onProgress?.(stage, fraction);
          if (Date.now() - lastReport < PROGRESS_EVERY_MS && fraction < 1) return;
          lastReport = Date.now();
          if (await touchJob(db, { id: jobId, progress: overall(fraction), log: lines.join("\n") })) throw new JobCancelled();
        },
      });
      log(`${s.name}: done`);
    }
    await rename(dir, jobFolder(jobId));
    await finishJob(db, { id: jobId, status: "succeeded", outputPath: jobFolder(jobId), log: lines.join("\n") });
    return "succeeded";
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    if (error instanceof JobCancelled) {
      log(`${stage}: cancelled`);
      await finishJob(db, { id: jobId, status: "cancelled", log: lines.join("\n") });
      return "cancelled";
    }
    console.error(`job ${jobId} failed in ${stage}`, error);
    const message = error instanceof Error ? error.message : String(error);
    log(`${stage}: failed`);
    await finishJob(db, { id: jobId, status: "failed", error: `${stage}: ${message}`, log: lines.join("\n") });
    return "failed";
  } finally {
    clearInterval(heartbeat);
  }
}

/** At start-up: jobs a dead runner left `running` are marked failed, and their partial output removed. */
export async function recoverAbandonedJobs(db: Db, now = new Date()): Promise<number> {
  const ids = await failAbandonedJobs(db, { staleBefore: new Date(now.getTime() - STALE_MS) });
  for (const id of ids) await rm(partialFolder(id), { recursive: true, force: true });
  return ids.length;
}

/**
 * Job recovery at server start, then every 15 s (a timer that does not keep the process alive):
 * by heartbeat on both databases, since a job may run in another process (`npm run update`, another
 * app instance) that is still alive.
 */
export async function startJobRecovery(db: Db): Promise<void> {
  const report = (count: number) => {
    if (count > 0) console.warn(`Marked ${count} interrupted job${count === 1 ? "" : "s"} as failed (their runner stopped).`);
  };
  report(await recoverAbandonedJobs(db));
  setInterval(() => recoverAbandonedJobs(db).then(report, (error: unknown) => console.error("job recovery failed", error)), 15_000).unref();
}

"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition } from "react";
import { cancelJobAction, startExportAction, startUpdateAction, type JobStartResult } from "@/app/insights/actions";

type JobState = { id: string; status: string; stage: string; progress: number; error: string | null; outputPath: string | null; version: string | null };

/**
 * Starts an incremental update (or only its export) and follows it: stage and percent, polled every
 * second, a cancel button, and the outcome. A job already running when the page opens is followed too.
 */
export function JobPanel({ runningJobId, since, updateBlocked }: { runningJobId: string | null; since: string; updateBlocked: string | null }) {
  const router = useRouter();
  const [jobId, setJobId] = useState(runningJobId);
  const [job, setJob] = useState<JobState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  useEffect(() => {
    if (!jobId) return;
    let stopped = false;
    const poll = async () => {
      try {
        const response = await fetch(`/api/jobs/${jobId}`, { cache: "no-store" });
        const body = (await response.json()) as JobState & { error?: string };
        if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
        if (stopped) return;
        setJob(body);
        if (body.status === "running" || body.status === "queued") setTimeout(poll, 1000);
        else router.refresh(); // the history below shows the finished job
      } catch (e) {
        if (!stopped) {
          setError(`Lost track of the job (${e instanceof Error ? e.message : String(e)}); retrying.`);
          setTimeout(poll, 3000);
        }
      }
    };
    void poll();
    return () => {
      stopped = true;
    };
  }, [jobId, router]);

  const running = job ? job.status === "running" || job.status === "queued" : jobId !== null;
  const start = (action: () => Promise<JobStartResult>) =>
    startTransition(async () => {
      setError(null);
      setJob(null);
      const result = await action();
      if (result.ok) setJobId(result.jobId);
      else setError(result.error);
    });
  return (
    <div className="mt-2 rounded-xl border border-neutral-200 p-4 text-sm dark:border-neutral-800" data-testid="job-panel">
      <p className="text-neutral-600 dark:text-neutral-400">
        An incremental update learns from what readers did since the serving version was trained ({since}): it trains a short-term
        adapter on those interactions and the feedback, combines it with the serving version&apos;s long-term one (LSAT), evaluates the
        result on held-out readers and registers it below as a candidate. The serving version is not changed until you promote the
        candidate. The export alone writes the same data in the training pipeline&apos;s format, for training elsewhere.
      </p>
      {updateBlocked && (
        <p className="mt-2 text-amber-700 dark:text-amber-400" data-testid="update-blocked">
          {updateBlocked}
        </p>
      )}
      <div className="mt-3 flex items-center gap-3">
        <button
          type="button"
          disabled={pending || running || updateBlocked !== null}
          onClick={() => start(startUpdateAction)}
          className="rounded-lg bg-neutral-900 px-3 py-1.5 text-white disabled:opacity-50 dark:bg-white dark:text-neutral-900"
        >
          Run incremental update
        </button>
        <button
          type="button"
          disabled={pending || running}
          onClick={() => start(startExportAction)}
          className="rounded-lg border border-neutral-300 px-3 py-1.5 disabled:opacity-50 dark:border-neutral-700"
        >
          Export training data only
        </button>
        {running && jobId && (
          <button
            type="button"
            onClick={() => startTransition(async () => void (await cancelJobAction({ id: jobId })))}
            className="rounded-lg border border-neutral-300 px-3 py-1.5 dark:border-neutral-700"
          >
            Cancel
          </button>
        )}
      </div>
      {job && (
        <div className="mt-3" data-testid="job-progress" data-status={job.status}>
          <div className="flex justify-between text-xs text-neutral-500">
            <span>
              {job.stage || "starting"} · {job.status}
            </span>
            <span>{Math.round(job.progress * 100)} %</span>
          </div>
          <div
            className="mt-1 h-2 overflow-hidden rounded-full bg-neutral-200 dark:bg-neutral-800"
            role="progressbar"
            aria-label="Job progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(job.progress * 100)}
          >
            <div className="h-full bg-blue-600 transition-[width]" style={{ width: `${Math.round(job.progress * 100)}%` }} />
          </div>
          {job.status === "succeeded" && (
            <p className="mt-2 text-green-700 dark:text-green-400" data-testid="job-outcome">
              {job.version ? `Done: candidate ${job.version} is registered under Model versions; compare it, then promote it.` : `Done: written to ${job.outputPath}.`}
            </p>
          )}
          {job.status === "failed" && <p className="mt-2 text-red-700 dark:text-red-400">Failed: {job.error}</p>}
          {job.status === "cancelled" && <p className="mt-2 text-neutral-600">Cancelled; nothing was kept.</p>}
        </div>
      )}
      {error && (
        <p role="alert" className="mt-2 text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}

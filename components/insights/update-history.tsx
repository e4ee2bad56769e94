import type { UpdateRecord } from "@/server/db/queries/insights";

function duration(job: UpdateRecord): string {
  if (!job.startedAt) return "not started";
  const ms = (job.finishedAt ?? new Date()).getTime() - job.startedAt.getTime();
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** The learning loop's jobs, newest first: outcome, stage, duration, who started it, what it produced, the log. */
export function UpdateHistory({ updates }: { updates: UpdateRecord[] }) {
  if (updates.length === 0) {
    return (
      <p className="mt-2 text-sm text-neutral-500" data-testid="updates-empty">
        No job has run yet. Run an incremental update above once readers have reacted to recommendations since the serving version.
      </p>
    );
  }
  return (
    <ul className="mt-2 space-y-2" data-testid="updates">
      {updates.map((job) => (
        <li key={job.id} className="rounded-lg border border-neutral-200 p-3 text-sm dark:border-neutral-800">
          <div className="flex flex-wrap gap-x-3">
            <span className="font-medium" data-testid="update-status">
              {job.status}
            </span>
            <span className="text-neutral-500">{job.stage}</span>
            <span className="text-neutral-500">{job.createdAt.toISOString().replace("T", " ").slice(0, 16)} UTC</span>
            <span className="text-neutral-500">{duration(job)}</span>
            {job.by && <span className="text-neutral-500">by {job.by}</span>}
            {job.version && <span>→ {job.version}</span>}
            {job.status === "running" && <span>{Math.round(job.progress * 100)} %</span>}
          </div>
          {job.error && <p className="mt-1 text-red-700 dark:text-red-400">{job.error}</p>}
          {job.outputPath && <p className="mt-1 text-neutral-600 dark:text-neutral-400">Output: {job.outputPath}</p>}
          {job.log && (
            <details className="mt-1">
              <summary className="cursor-pointer text-neutral-500">Log</summary>
              <pre className="mt-1 max-h-64 overflow-auto whitespace-pre-wrap text-xs">{job.log}</pre>
            </details>
          )}
        </li>
      ))}
    </ul>
  );
}

import type { UpdateRecord } from "@/server/db/queries/insights";

function duration(job: UpdateRecord): string {
  if (!job.startedAt) return "not started";
  const ms = (job.finishedAt ?? new Date()).getTime() - job.startedAt.getTime();
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** Incremental model updates, newest first: outcome, duration, the version they produced, the log. */
export function UpdateHistory({ updates }: { updates: UpdateRecord[] }) {
  if (updates.length === 0) {
    return (
      <p className="mt-2 text-sm text-neutral-500" data-testid="updates-empty">
        No model update has run yet. An update trains on the feedback collected since the serving version and produces a candidate version
        to compare here before promoting it.
      </p>
    );
  }
  return (
    <ul className="mt-2 space-y-2" data-testid="updates">
      {updates.map((job) => (
        <li key={job.id} className="rounded-lg border border-neutral-200 p-3 text-sm dark:border-neutral-800">
          <div className="flex flex-wrap gap-x-3">
            <span className="font-medium">{job.status}</span>
            <span className="text-neutral-500">{job.createdAt.toISOString().replace("T", " ").slice(0, 16)} UTC</span>
            <span className="text-neutral-500">{duration(job)}</span>
            {job.version && <span>→ {job.version}</span>}
            {job.status === "running" && <span>{Math.round(job.progress * 100)} %</span>}
          </div>
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

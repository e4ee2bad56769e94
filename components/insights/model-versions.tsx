"use client";

import { useState, useTransition } from "react";
import { promoteAction, rollbackAction, type VersionResult } from "@/app/insights/actions";
import type { ModelEventRow, VersionRow } from "@/server/db/queries/models";

const button = "rounded-md border px-2 py-1 text-xs font-medium disabled:opacity-50";

/**
 * The versions and what can be done with each: promote a candidate, restore an earlier one. A
 * promotion the offline HR@1 gate refuses asks for a reason, and "Promote anyway" records it.
 */
export function ModelVersions({ versions, events, pinned }: { versions: VersionRow[]; events: ModelEventRow[]; pinned: string | null }) {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<{ name: string; text: string; needsReason: boolean } | null>(null);
  const [reason, setReason] = useState("");
  const run = (name: string, action: () => Promise<VersionResult>) =>
    startTransition(async () => {
      const result = await action();
      if (result.ok) {
        setMessage(null);
        setReason("");
      } else {
        setMessage({ name, text: result.error, needsReason: result.needsReason ?? false });
      }
    });

  return (
    <div>
      {pinned && (
        <p className="mt-2 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:bg-amber-950/40 dark:text-amber-300">
          {pinned === "off" ? "This server runs without a language model (RECO_MODEL_DIR=off)" : `This server answers with ${pinned} (RECO_MODEL_DIR)`}: a
          promotion here takes effect on the servers where RECO_MODEL_DIR is not set.
        </p>
      )}
      {versions.length === 0 ? (
        <p className="mt-2 text-sm text-neutral-500">
          No model versions registered. The set-up step registers the demo model; `npm run models -- register &lt;folder&gt;` adds an exported one.
        </p>
      ) : (
        <table className="mt-2 w-full text-left text-sm" data-testid="model-versions">
          <thead className="border-b border-neutral-200 text-neutral-500 dark:border-neutral-800">
            <tr>
              <th className="py-2 pr-3 font-medium">Version</th>
              <th className="py-2 pr-3 font-medium">Status</th>
              <th className="py-2 pr-3 font-medium">Offline HR@1</th>
              <th className="py-2 pr-3 font-medium">Registered</th>
              <th className="py-2 font-medium" />
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.id} className="border-b border-neutral-100 align-top dark:border-neutral-900" data-version={v.name}>
                <td className="py-2 pr-3 font-medium">
                  {v.name}
                  {v.parent && <div className="text-xs font-normal text-neutral-500">from {v.parent}</div>}
                </td>
                <td className="py-2 pr-3" data-testid="version-status">
                  {v.status}
                </td>
                <td className="py-2 pr-3 tabular-nums" title={v.hr1Source ?? undefined}>
                  {v.hr1 === null ? "–" : v.hr1.toFixed(3)}
                </td>
                <td className="py-2 pr-3 text-neutral-500">{v.createdAt.toISOString().slice(0, 10)}</td>
                <td className="py-2">
                  {v.status === "candidate" && (
                    <button type="button" className={`${button} border-blue-600 text-blue-700 dark:text-blue-400`} disabled={pending} onClick={() => run(v.name, () => promoteAction({ name: v.name }))}>
                      Promote
                    </button>
                  )}
                  {v.status === "retired" && (
                    <button type="button" className={`${button} border-neutral-400`} disabled={pending} onClick={() => run(v.name, () => rollbackAction({ name: v.name }))}>
                      Restore
                    </button>
                  )}
                  {message?.name === v.name && (
                    <div className="mt-2 max-w-sm space-y-2">
                      <p role="alert" className="text-xs text-red-700 dark:text-red-400">
                        {message.text}
                      </p>
                      {message.needsReason && (
                        <form
                          className="flex gap-2"
                          onSubmit={(e) => {
                            e.preventDefault();
                            run(v.name, () => promoteAction({ name: v.name, reason }));
                          }}
                        >
                          <input
                            aria-label={`Reason to promote ${v.name} anyway`}
                            value={reason}
                            onChange={(e) => setReason(e.target.value)}
                            required
                            maxLength={500}
                            placeholder="Why promote it anyway?"
                            className="min-w-0 flex-1 rounded-md border border-neutral-300 px-2 py-1 text-xs dark:border-neutral-700 dark:bg-neutral-900"
                          />
                          <button type="submit" className={`${button} border-red-600 text-red-700 dark:text-red-400`} disabled={pending || !reason.trim()}>
                            Promote anyway
                          </button>
                        </form>
                      )}
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {events.length > 0 && (
        <details className="mt-3 text-sm" open>
          <summary className="cursor-pointer text-neutral-600 dark:text-neutral-400">Promotions and rollbacks</summary>
          <ol className="mt-2 space-y-1" data-testid="model-events">
            {events.map((e, i) => (
              <li key={i} className="text-neutral-700 dark:text-neutral-300">
                <time className="text-neutral-500">{e.at.toISOString().replace("T", " ").slice(0, 16)} UTC</time> · {e.kind === "promote" ? "promoted" : "restored"}{" "}
                <span className="font-medium">{e.version}</span>
                {e.from && <> (replacing {e.from})</>} by {e.actor}
                {e.override && <> — reason: “{e.override}”</>}
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}

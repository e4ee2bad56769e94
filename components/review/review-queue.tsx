"use client";

import Link from "next/link";
import { useState, useTransition } from "react";
import { decideAction, editAction, type ReviewResult } from "@/app/review/actions";
import type { QueueRow } from "@/server/db/queries/reviews";
import { StatusBadge } from "./status-badge";

type Entry = { itemId: number; reason: string; text: string };
const entryOf = (r: QueueRow): Entry => ({ itemId: r.itemId, reason: r.reason, text: r.text });
const keyOf = (r: QueueRow) => `${r.itemId}|${r.reason}|${r.text}`;

const button = "rounded-md border px-2 py-1 text-xs font-medium disabled:opacity-50";
const approveClass = `${button} border-green-600 text-green-700 hover:bg-green-50 dark:text-green-400 dark:hover:bg-green-950`;
const rejectClass = `${button} border-red-600 text-red-700 hover:bg-red-50 dark:text-red-400 dark:hover:bg-red-950`;
const plainClass = `${button} border-neutral-300 hover:bg-neutral-100 dark:border-neutral-700 dark:hover:bg-neutral-800`;

/** The queue: one row per text as shown, with approve / edit / reject, and the same for a selection. */
export function ReviewQueue({ rows }: { rows: QueueRow[] }) {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [pending, startTransition] = useTransition();

  const run = (action: () => Promise<ReviewResult>, done: string) =>
    startTransition(async () => {
      const result = await action();
      if (result.ok) {
        setSelected(new Set());
        setEditing(null);
        setMessage({ kind: "ok", text: `${result.count} ${result.count === 1 ? "text" : "texts"} ${done}.` });
      } else {
        setMessage({ kind: "error", text: result.error });
      }
    });
  const decide = (decision: "approved" | "rejected", entries: Entry[]) =>
    run(() => decideAction({ decision, entries }), decision === "approved" ? "approved" : "rejected");
  const chosen = rows.filter((r) => selected.has(keyOf(r)));
  const toggle = (key: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  return (
    <div>
      <div className="sticky top-0 z-10 flex flex-wrap items-center gap-2 border-b border-neutral-200 bg-white py-2 text-sm dark:border-neutral-800 dark:bg-neutral-950">
        <label className="flex items-center gap-1.5">
          <input
            type="checkbox"
            aria-label="Select all on this page"
            checked={rows.length > 0 && chosen.length === rows.length}
            onChange={(e) => setSelected(e.target.checked ? new Set(rows.map(keyOf)) : new Set())}
          />
          {chosen.length > 0 ? `${chosen.length} selected` : "Select all"}
        </label>
        <button type="button" className={approveClass} disabled={pending || chosen.length === 0} onClick={() => decide("approved", chosen.map(entryOf))}>
          Approve selected
        </button>
        <button type="button" className={rejectClass} disabled={pending || chosen.length === 0} onClick={() => decide("rejected", chosen.map(entryOf))}>
          Reject selected
        </button>
        {message && (
          <span role={message.kind === "error" ? "alert" : "status"} className={message.kind === "error" ? "text-red-600" : "text-green-700 dark:text-green-400"}>
            {message.text}
          </span>
        )}
      </div>
      <ul className="divide-y divide-neutral-200 dark:divide-neutral-800" data-testid="review-queue">
        {rows.map((r) => {
          const key = keyOf(r);
          return (
            <li key={key} className="flex gap-3 py-3" data-testid="review-row" data-item-id={r.itemId} data-reason={r.reason}>
              <input type="checkbox" className="mt-1" aria-label={`Select the text for ${r.title}`} checked={selected.has(key)} onChange={() => toggle(key)} />
              <div className="min-w-0 flex-1">
                <div className="flex flex-wrap items-center gap-x-2 gap-y-1 text-sm">
                  <Link href={`/review/items/${r.itemId}`} className="font-medium hover:underline">
                    {r.title}
                  </Link>
                  <StatusBadge status={r.status} />
                  <span className="text-xs text-neutral-500">
                    {r.reason} · shown {r.shown}× · last {r.lastShown.toISOString().slice(0, 10)} · {r.modelVersions.join(", ")}
                  </span>
                </div>
                {editing === key ? (
                  <form
                    className="mt-2 space-y-2"
                    onSubmit={(e) => {
                      e.preventDefault();
                      run(() => editAction({ ...entryOf(r), editedText: draft }), "edited");
                    }}
                  >
                    <label className="sr-only" htmlFor={`edit-${key}`}>
                      New text for {r.title}
                    </label>
                    <textarea
                      id={`edit-${key}`}
                      value={draft}
                      onChange={(e) => setDraft(e.target.value)}
                      rows={3}
                      maxLength={1000}
                      className="w-full rounded-lg border border-neutral-300 bg-white p-2 text-sm dark:border-neutral-700 dark:bg-neutral-900"
                    />
                    <div className="flex gap-2">
                      <button type="submit" className={approveClass} disabled={pending}>
                        Save edit
                      </button>
                      <button type="button" className={plainClass} onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </div>
                  </form>
                ) : (
                  <>
                    <p className="mt-1 text-sm whitespace-pre-wrap" data-testid="review-text">
                      {r.text}
                    </p>
                    {r.editedText !== null && (
                      <p className="mt-1 text-sm text-blue-800 dark:text-blue-300">
                        <span className="font-medium">Served instead: </span>
                        {r.editedText}
                      </p>
                    )}
                  </>
                )}
              </div>
              {editing !== key && (
                <div className="flex shrink-0 items-start gap-1">
                  <button type="button" className={approveClass} disabled={pending} onClick={() => decide("approved", [entryOf(r)])}>
                    Approve
                  </button>
                  <button
                    type="button"
                    className={plainClass}
                    disabled={pending}
                    onClick={() => {
                      setEditing(key);
                      setDraft(r.editedText ?? r.text);
                    }}
                  >
                    Edit
                  </button>
                  <button type="button" className={rejectClass} disabled={pending} onClick={() => decide("rejected", [entryOf(r)])}>
                    Reject
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

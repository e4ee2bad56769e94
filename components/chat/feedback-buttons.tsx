"use client";

import { useState, useTransition } from "react";
import { sendFeedback } from "@/app/actions";
import type { FeedbackKindName } from "@/server/chat/types";

const BUTTONS: { kind: FeedbackKindName; label: string; icon: string }[] = [
  { kind: "thumbs_up", label: "Good suggestion", icon: "👍" },
  { kind: "thumbs_down", label: "Bad suggestion", icon: "👎" },
  { kind: "save", label: "Save for later", icon: "🔖" },
  { kind: "not_interested", label: "Not interested", icon: "🚫" },
];

/** Toggles feedback on one card; the server answers with the kinds now active. */
export function FeedbackButtons({ recommendationId, title, initial }: { recommendationId: string; title: string; initial: FeedbackKindName[] }) {
  const [active, setActive] = useState<FeedbackKindName[]>(initial);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  const press = (kind: FeedbackKindName) =>
    startTransition(async () => {
      const result = await sendFeedback({ recommendationId, kind });
      if (result.ok) {
        setActive(result.active);
        setError(null);
      } else setError(result.error);
    });

  return (
    <div className="mt-3 border-t border-neutral-100 pt-2 dark:border-neutral-800">
      <div className="flex gap-1" role="group" aria-label={`Feedback on ${title}`}>
        {BUTTONS.map(({ kind, label, icon }) => {
          const on = active.includes(kind);
          return (
            <button
              key={kind}
              type="button"
              data-testid={`feedback-${kind}`}
              aria-pressed={on}
              aria-label={label}
              title={label}
              disabled={pending}
              onClick={() => press(kind)}
              className={`rounded-lg px-2 py-1 text-sm transition focus-visible:outline-2 focus-visible:outline-blue-500 disabled:opacity-60 ${
                on
                  ? "bg-blue-100 ring-1 ring-blue-400 dark:bg-blue-950 dark:ring-blue-700"
                  : "grayscale hover:bg-neutral-100 hover:grayscale-0 dark:hover:bg-neutral-800"
              }`}
            >
              <span aria-hidden="true">{icon}</span>
            </button>
          );
        })}
      </div>
      {error && (
        <p role="alert" className="mt-1 text-xs text-red-600">
          {error}
        </p>
      )}
    </div>
  );
}

"use client";

import { Ban, Bookmark, type LucideIcon, ThumbsDown, ThumbsUp } from "lucide-react";
import { useState, useTransition } from "react";
import { sendFeedback } from "@/app/actions";
import type { FeedbackKindName } from "@/server/chat/types";

// Icons are SVG (lucide), not emoji: they render the same where no emoji font is installed.
const BUTTONS: { kind: FeedbackKindName; label: string; Icon: LucideIcon }[] = [
  { kind: "thumbs_up", label: "Good suggestion", Icon: ThumbsUp },
  { kind: "thumbs_down", label: "Not for me: show it less", Icon: ThumbsDown },
  { kind: "save", label: "Save for later", Icon: Bookmark },
  { kind: "not_interested", label: "Not interested: never show it again", Icon: Ban },
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
        {BUTTONS.map(({ kind, label, Icon }) => {
          const on = active.includes(kind);
          const tooltipId = `${recommendationId}-${kind}-tip`;
          return (
            <span key={kind} className="group relative">
              <button
                type="button"
                data-testid={`feedback-${kind}`}
                aria-pressed={on}
                aria-label={label}
                aria-describedby={tooltipId}
                disabled={pending}
                onClick={() => press(kind)}
                className={`rounded-lg p-1.5 transition focus-visible:outline-2 focus-visible:outline-blue-500 disabled:opacity-60 ${
                  on
                    ? "bg-blue-100 text-blue-700 ring-1 ring-blue-400 dark:bg-blue-950 dark:text-blue-300 dark:ring-blue-700"
                    : "text-neutral-500 hover:bg-neutral-100 hover:text-neutral-800 dark:hover:bg-neutral-800 dark:hover:text-neutral-200"
                }`}
              >
                <Icon aria-hidden="true" className="size-4" fill={on && kind !== "not_interested" ? "currentColor" : "none"} />
              </button>
              {/* A visible tooltip on hover and on keyboard focus (a title attribute shows on neither reliably). */}
              <span
                role="tooltip"
                id={tooltipId}
                className="pointer-events-none absolute bottom-full left-1/2 z-10 mb-1 -translate-x-1/2 whitespace-nowrap rounded bg-neutral-900 px-2 py-1 text-xs text-white opacity-0 shadow transition-opacity group-hover:opacity-100 group-has-[:focus-visible]:opacity-100 dark:bg-neutral-100 dark:text-neutral-900"
              >
                {label}
              </span>
            </span>
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

"use client";

import { sendFeedback } from "@/app/actions";

/** The card's title as a link out; following it is recorded as click-through feedback. */
export function ItemLink({ href, recommendationId, title }: { href: string; recommendationId: string; title: string }) {
  return (
    <a
      href={href}
      target="_blank"
      rel="noopener noreferrer"
      data-testid="item-link"
      onClick={() => void sendFeedback({ recommendationId, kind: "click" })}
      onAuxClick={(event) => {
        if (event.button === 1) void sendFeedback({ recommendationId, kind: "click" });
      }}
      className="rounded hover:underline focus-visible:outline-2 focus-visible:outline-blue-500"
    >
      {title}
    </a>
  );
}

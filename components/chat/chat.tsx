"use client";

import { useChat } from "@ai-sdk/react";
import { DefaultChatTransport } from "ai";
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import type { ChatMessage, FeedbackKindName } from "@/server/chat/types";
import { Composer } from "./composer";
import { EmptyState } from "./empty-state";
import { MessageView } from "./message-view";

type Props = {
  id: string;
  initialMessages: (ChatMessage & { status?: "streaming" | "complete" | "failed" })[];
  initialFeedback: Record<string, FeedbackKindName[]>;
};

export function Chat({ id, initialMessages, initialFeedback }: Props) {
  const router = useRouter();
  const storedStatus = new Map(initialMessages.map((m) => [m.id, m.status]));
  const { messages, sendMessage, status, error, stop, regenerate, clearError } = useChat<ChatMessage>({
    id,
    messages: initialMessages,
    transport: new DefaultChatTransport({
      api: "/api/chat",
      // The server keeps the history: send only the new message.
      prepareSendMessagesRequest: ({ id, messages }) => ({ body: { id, message: messages.at(-1) } }),
    }),
    // Explanations stream token by token into cards: re-render at most every 50 ms.
    throttle: 50,
    // Refresh the server-rendered sidebar (new conversation, newer first).
    onFinish: () => router.refresh(),
  });

  const bottom = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Block body: scrollIntoView returns a promise in current Chromium, which useEffect must not get.
    bottom.current?.scrollIntoView({ block: "end" });
  }, [messages, status]);

  const send = (text: string) => {
    clearError();
    void sendMessage({ text });
  };

  const busy = status === "submitted" || status === "streaming";
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="flex-1 overflow-y-auto" data-testid="messages">
        <div className="mx-auto flex max-w-3xl flex-col gap-6 px-4 pb-6 pt-14 md:pt-8">
          {messages.length === 0 && <EmptyState onPick={send} />}
          {messages.map((message, i) => (
            <MessageView
              key={message.id}
              message={message}
              onSuggestion={i === messages.length - 1 && !busy ? send : undefined}
              failed={storedStatus.get(message.id) === "failed" || storedStatus.get(message.id) === "streaming"}
              feedback={initialFeedback}
            />
          ))}
          {status === "submitted" && (
            <div role="status" className="flex items-center gap-2 text-sm text-neutral-500" data-testid="thinking">
              <span className="size-2 animate-pulse rounded-full bg-neutral-400" />
              Looking through the catalog…
            </div>
          )}
          {error && (
            <div
              role="alert"
              className="flex items-center justify-between gap-3 rounded-lg border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950/50 dark:text-red-200"
            >
              <span>{readableError(error)}</span>
              <button type="button" onClick={() => void regenerate()} className="shrink-0 font-medium underline">
                Try again
              </button>
            </div>
          )}
          <div ref={bottom} />
        </div>
      </div>
      <Composer onSend={send} onStop={stop} busy={busy} />
    </div>
  );
}

/** The server answers errors as JSON `{ error }`; show that text, not a stack. */
function readableError(error: Error): string {
  try {
    const body = JSON.parse(error.message) as { error?: unknown };
    if (typeof body.error === "string") return body.error;
  } catch {
    // not JSON: the stream's own error text
  }
  return error.message || "Something went wrong.";
}

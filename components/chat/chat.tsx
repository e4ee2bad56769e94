"use client";

import { useChat } from "@ai-sdk/react";
import { DefaultChatTransport } from "ai";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import type { ChatMessage, FeedbackKindName } from "@/server/chat/types";
import { Composer } from "./composer";
import { EmptyState } from "./empty-state";
import { MessageView } from "./message-view";

type StoredMessage = ChatMessage & { status?: "streaming" | "complete" | "failed" };
type Props = {
  id: string;
  initialMessages: StoredMessage[];
  initialFeedback: Record<string, FeedbackKindName[]>;
};

const RECONNECT_EVERY_MS = 2_000;

export function Chat({ id, initialMessages, initialFeedback }: Props) {
  const router = useRouter();
  const [storedStatus, setStoredStatus] = useState(() => statusById(initialMessages));
  const [reconnecting, setReconnecting] = useState(false);
  const { messages, setMessages, sendMessage, status, error, stop, regenerate, clearError } = useChat<ChatMessage>({
    id,
    messages: initialMessages,
    transport: new DefaultChatTransport({
      api: "/api/chat",
      // The server keeps the history: send only the new message.
      prepareSendMessagesRequest: ({ id, messages }) => ({ body: { id, message: messages.at(-1) } }),
    }),
    // Explanations stream token by token into cards: re-render at most every 50 ms.
    throttle: 50,
    // Refresh the server-rendered sidebar (new conversation, newer first). Not after an error: with
    // the server gone, a refresh turns into a full page load and the browser's error page.
    onFinish: ({ isError, isDisconnect }) => {
      if (!isError && !isDisconnect) router.refresh();
    },
  });

  const bottom = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Block body: scrollIntoView returns a promise in current Chromium, which useEffect must not get.
    bottom.current?.scrollIntoView({ block: "end" });
  }, [messages, status]);

  // The server went away mid-answer (restarted, crashed): wait for it, then show what it stored —
  // the answer marked interrupted — instead of a dead stream.
  useEffect(() => {
    if (!error || !isConnectionLost(error)) return;
    setReconnecting(true);
    let cancelled = false;
    const attempt = async () => {
      const response = await fetch(`/api/conversations/${id}`, { cache: "no-store" }).catch(() => null);
      if (cancelled) return;
      if (!response || response.status >= 500) {
        timer = setTimeout(attempt, RECONNECT_EVERY_MS); // down, or still starting
        return;
      }
      if (response.ok) {
        const stored = (await response.json()) as { messages: StoredMessage[] };
        setStoredStatus(statusById(stored.messages));
        setMessages(stored.messages);
        router.refresh();
      }
      setReconnecting(false);
      clearError();
    };
    let timer = setTimeout(attempt, RECONNECT_EVERY_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [error, id, setMessages, clearError, router]);

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
              failed={
                storedStatus.get(message.id) === "failed" ||
                storedStatus.get(message.id) === "streaming" ||
                (status === "error" && i === messages.length - 1 && message.role === "assistant")
              }
              feedback={initialFeedback}
            />
          ))}
          {status === "submitted" && (
            <div role="status" className="flex items-center gap-2 text-sm text-neutral-500" data-testid="thinking">
              <span className="size-2 animate-pulse rounded-full bg-neutral-400" />
              Looking through the catalog…
            </div>
          )}
          {error && reconnecting && (
            <div role="status" className="flex items-center gap-2 text-sm text-amber-700 dark:text-amber-400" data-testid="reconnecting">
              <span className="size-2 animate-pulse rounded-full bg-amber-500" />
              The connection to the server was lost. Reconnecting…
            </div>
          )}
          {error && !reconnecting && (
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

function statusById(messages: StoredMessage[]) {
  return new Map(messages.map((m) => [m.id, m.status]));
}

/** A stream cut by the network (server stopped, connection dropped), not an error the server answered. */
function isConnectionLost(error: Error): boolean {
  return error instanceof TypeError || /network|failed to fetch|terminated|load failed/i.test(error.message);
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

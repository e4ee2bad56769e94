"use client";

import { type FormEvent, type KeyboardEvent, useState } from "react";
import { MAX_MESSAGE_CHARS } from "@/server/chat/types";

export function Composer({ onSend, onStop, busy }: { onSend: (text: string) => void; onStop: () => void; busy: boolean }) {
  const [text, setText] = useState("");
  const tooLong = text.length > MAX_MESSAGE_CHARS;
  const canSend = !busy && text.trim().length > 0 && !tooLong;

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (!canSend) return;
    onSend(text.trim());
    setText("");
  };
  // Enter sends, Shift+Enter makes a new line.
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) submit(event);
  };

  return (
    <form onSubmit={submit} className="border-t border-neutral-200 bg-white px-4 py-3 dark:border-neutral-800 dark:bg-neutral-950">
      <div className="mx-auto flex max-w-3xl items-end gap-2">
        <label htmlFor="chat-input" className="sr-only">
          Message
        </label>
        <textarea
          id="chat-input"
          data-testid="chat-input"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          rows={1}
          autoFocus
          placeholder="Something like The Martian but lighter, for a weekend…"
          aria-invalid={tooLong}
          className="max-h-48 min-h-11 flex-1 resize-none rounded-xl border border-neutral-300 bg-white px-3 py-2.5 text-[15px] outline-none placeholder:text-neutral-400 focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30 dark:border-neutral-700 dark:bg-neutral-900"
        />
        {busy ? (
          <button
            type="button"
            onClick={onStop}
            className="h-11 rounded-xl border border-neutral-300 px-4 text-sm font-medium hover:bg-neutral-100 dark:border-neutral-700 dark:hover:bg-neutral-800"
          >
            Stop
          </button>
        ) : (
          <button
            type="submit"
            data-testid="send"
            disabled={!canSend}
            className="h-11 rounded-xl bg-blue-600 px-4 text-sm font-medium text-white hover:bg-blue-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 disabled:cursor-not-allowed disabled:opacity-40"
          >
            Send
          </button>
        )}
      </div>
      {tooLong && (
        <p className="mx-auto mt-1 max-w-3xl text-xs text-red-600" role="alert">
          {text.length} / {MAX_MESSAGE_CHARS} characters — please shorten your message.
        </p>
      )}
    </form>
  );
}

import type { ChatMessage, FeedbackKindName } from "@/server/chat/types";
import { ItemCardView } from "./item-card";
import { RichText } from "./rich-text";
import { SuggestionChips, UnderstoodLine } from "./understood-line";

type Props = {
  message: ChatMessage;
  failed: boolean;
  feedback: Record<string, FeedbackKindName[]>;
  /** Sends a suggestion chip's text as the next message (absent on answers that are not the latest). */
  onSuggestion?: (text: string) => void;
};

export function MessageView({ message, failed, feedback, onSuggestion }: Props) {
  if (message.role === "user") {
    const text = message.parts.map((p) => (p.type === "text" ? p.text : "")).join("\n");
    return (
      <div className="flex justify-end" data-testid="user-message">
        <p className="max-w-[85%] whitespace-pre-wrap rounded-2xl bg-blue-600 px-4 py-2.5 text-[15px] text-white">{text}</p>
      </div>
    );
  }
  const cards = message.parts.filter((p) => p.type === "data-item");
  return (
    <div className="flex flex-col gap-3" data-testid="assistant-message">
      {message.parts.map((part, i) => {
        if (part.type === "text") return <RichText key={i} text={part.text} />;
        if (part.type === "data-understood") return <UnderstoodLine key={part.id ?? i} understood={part.data} />;
        if (part.type === "data-suggestions") return <SuggestionChips key={part.id ?? i} options={part.data.options} onPick={onSuggestion} />;
        if (part.type === "data-notice")
          return (
            <p
              key={part.id ?? i}
              data-testid="notice"
              role={part.data.level === "warning" ? "note" : undefined}
              className={
                part.data.level === "warning"
                  ? "rounded-lg bg-amber-50 px-3 py-1.5 text-xs text-amber-900 dark:bg-amber-950/40 dark:text-amber-200"
                  : "text-xs text-neutral-500"
              }
            >
              {part.data.text}
            </p>
          );
        return null;
      })}
      {cards.length > 0 && (
        <ol className="grid gap-3 sm:grid-cols-2" data-testid="cards">
          {cards.map((part) => (
            <li key={part.data.recommendationId} className="animate-card-in">
              <ItemCardView card={part.data} interrupted={failed} initialFeedback={feedback[part.data.recommendationId] ?? []} />
            </li>
          ))}
        </ol>
      )}
      {failed && (
        <p className="text-sm text-amber-700 dark:text-amber-400" data-testid="interrupted">
          This answer was interrupted before it finished.
        </p>
      )}
    </div>
  );
}

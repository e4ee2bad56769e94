import type { Understood } from "@/server/chat/types";

/**
 * How the recommender read the message, under its answer: "Using: Dune · by Stephen King ·
 * excluding: horror". Seeing it lets a person correct a misreading in their next message.
 */
export function UnderstoodLine({ understood }: { understood: Understood }) {
  return (
    <p className="text-xs text-neutral-500 dark:text-neutral-400" data-testid="understood">
      {understood.using.length > 0 && (
        <>
          <span className="font-medium">Using:</span>{" "}
          <span data-testid="understood-using">{understood.using.join(" · ")}</span>
        </>
      )}
      {understood.using.length > 0 && understood.excluding.length > 0 && " · "}
      {understood.excluding.length > 0 && (
        <>
          <span className="font-medium">excluding:</span>{" "}
          <span data-testid="understood-excluding">{understood.excluding.join(" · ")}</span>
        </>
      )}
    </p>
  );
}

/** Replies offered as buttons; picking one sends it as the next message. */
export function SuggestionChips({ options, onPick }: { options: string[]; onPick?: (text: string) => void }) {
  return (
    <div className="flex flex-wrap gap-2" data-testid="suggestions">
      {options.map((option) => (
        <button
          key={option}
          type="button"
          disabled={!onPick}
          onClick={() => onPick?.(option)}
          className="rounded-full border border-neutral-300 px-3 py-1 text-sm hover:bg-neutral-100 focus-visible:outline-2 focus-visible:outline-blue-500 disabled:opacity-60 dark:border-neutral-700 dark:hover:bg-neutral-900"
        >
          {option}
        </button>
      ))}
    </div>
  );
}

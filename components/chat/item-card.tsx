import type { FeedbackKindName, ItemCard } from "@/server/chat/types";
import { FeedbackButtons } from "./feedback-buttons";
import { ItemLink } from "./item-link";

type Props = {
  card: ItemCard;
  /** The answer stopped before this card's explanation was finished: no writing cursor. */
  interrupted?: boolean;
  initialFeedback: FeedbackKindName[];
};

export function ItemCardView({ card, interrupted = false, initialFeedback }: Props) {
  const writing = card.status === "explaining" && !interrupted;
  const cut = card.status === "explaining" && interrupted;
  return (
    <article
      data-testid="item-card"
      data-recommendation-id={card.recommendationId}
      className="flex h-full flex-col rounded-xl border border-neutral-200 bg-white p-4 shadow-sm dark:border-neutral-800 dark:bg-neutral-900"
    >
      <div className="flex items-start gap-3">
        <span className="mt-0.5 flex size-6 shrink-0 items-center justify-center rounded-full bg-neutral-100 text-xs font-semibold text-neutral-600 dark:bg-neutral-800 dark:text-neutral-300">
          {card.rank}
        </span>
        <div className="min-w-0">
          <h3 className="font-semibold leading-snug" data-testid="item-title">
            {card.link ? <ItemLink href={card.link} recommendationId={card.recommendationId} title={card.title} /> : card.title}
          </h3>
          <p className="mt-0.5 text-sm text-neutral-600 dark:text-neutral-400">
            {[card.creators, card.year].filter((v) => v !== null && v !== "").join(" · ")}
          </p>
        </div>
      </div>
      {card.genres.length > 0 && (
        <ul className="mt-3 flex flex-wrap gap-1" aria-label="Genres">
          {card.genres.slice(0, 4).map((genre) => (
            <li key={genre} className="rounded-full bg-neutral-100 px-2 py-0.5 text-xs text-neutral-700 dark:bg-neutral-800 dark:text-neutral-300">
              {genre.replace(/-/g, " ")}
            </li>
          ))}
        </ul>
      )}
      <p
        className="mt-3 flex-1 text-sm leading-relaxed text-neutral-700 dark:text-neutral-300"
        data-testid="item-explanation"
        aria-busy={writing}
      >
        {card.explanation}
        {cut && (
          <span className="text-neutral-500 italic" data-testid="explanation-interrupted">
            {card.explanation ? " …" : "The explanation was interrupted."}
          </span>
        )}
        {writing && (
          <span className="ml-0.5 inline-block h-3.5 w-1.5 animate-pulse bg-neutral-400 align-middle" aria-label="Writing the explanation" />
        )}
      </p>
      <FeedbackButtons recommendationId={card.recommendationId} title={card.title} initial={initialFeedback} />
    </article>
  );
}

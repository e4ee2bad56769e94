import type { UIMessage } from "ai";

/** One recommended item as the chat renders it (sent as a typed `data-item` part). */
export type ItemCard = {
  recommendationId: string;
  itemId: number;
  rank: number;
  title: string;
  creators: string | null;
  year: number | null;
  genres: string[];
  /** Why the item was a candidate, e.g. "readers of Dune also read it". */
  reason: string;
  /** Short explanation shown on the card. */
  explanation: string;
  score: number;
  /** Which recommender ranked it ("baseline:cooccurrence", "baseline:popularity", or a model version). */
  source: string;
  /** A public page about the item (a search), or null. Following it is recorded as a click. */
  link: string | null;
  /** "explaining" while the explanation is still streaming into the card. */
  status: "explaining" | "ready";
};

/** A plain notice shown under an answer (e.g. which recommender answered). */
export type Notice = { level: "info" | "warning"; text: string };

/** How the message was read: "Using: Dune · by Stephen King · excluding: horror". */
export type Understood = { using: string[]; excluding: string[] };

/** Replies offered as buttons (which of two books called "Feed" was meant). */
export type Suggestions = { options: string[] };

export type ChatDataParts = { item: ItemCard; notice: Notice; understood: Understood; suggestions: Suggestions };

export type ChatMessage = UIMessage<never, ChatDataParts>;

export const FEEDBACK_KINDS = ["thumbs_up", "thumbs_down", "save", "not_interested", "click"] as const;
export type FeedbackKindName = (typeof FEEDBACK_KINDS)[number];

/** Limits on what a visitor may send in one turn. */
export const MAX_MESSAGE_CHARS = 2000;

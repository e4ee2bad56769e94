import type { UIMessageStreamWriter } from "ai";
import type { Db } from "../db/client";
import type { ChatMessage, Notice, ItemCard } from "../chat/types";
import { getCatalogIndex, type CatalogEntry, type CatalogIndex } from "../catalog/catalog-index";
import { understandTurn } from "../understand/conversation";
import type { Request } from "../understand/request";
import { missingNote, promptNote, summaryOf, whichOne } from "../understand/summary";
import { activeCatalog, catalogNouns, type CatalogNouns } from "../catalog/nouns";
import { finishAssistantMessage, saveAssistantProgress, startAssistantMessage, touchAssistantMessage } from "../db/queries/conversations";
import { HEARTBEAT_MS } from "../conversations/recovery";
import { dislikeWeights } from "../feedback/feedback";
import { notInterestedItemIds } from "../db/queries/interactions";
import { createRecommendation, itemIdsShown, setExplanation } from "../db/queries/recommendations";
import { servingModel } from "../models/serving";
import { type BaselinePick, type BaselineResult, recommendBaseline, yearText } from "./baseline";
import { explainPick, modelHistory, modelLimits, modelRanks, rankForTurn } from "./llm";
import { approvedExplanation, normalizeExplanation, rejectedExplanations } from "../db/queries/reviews";

/**
 * One chat turn: read what the user asks for, pick items, and stream the answer — a short intro
 * as text, then one card per item as a typed `data-item` part, its explanation streaming into it
 * (the same part id written again replaces the card in place). With a language model serving, the
 * LLM ranks a pool of candidates over a hybrid prompt and writes the explanations; without one,
 * the baseline's own ranking and evidence answer, and a notice says so. The assistant message is
 * stored as `streaming` first and finished as `complete` or `failed`: an interrupted answer is
 * kept, not lost.
 */

type Part = ChatMessage["parts"][number];
type Writer = UIMessageStreamWriter<ChatMessage>;

export type TurnInput = {
  db: Db;
  userId: string;
  conversationId: string;
  text: string;
  assistantMessageId: string;
  writer: Writer;
  signal?: AbortSignal;
};

const LIST_LENGTH = 5;

export async function runTurn({ db, userId, conversationId, text, assistantMessageId, writer, signal }: TurnInput) {
  const startedAt = performance.now();
  let firstCardMs: number | null = null; // stored with the answer, for the product team's latency chart
  const parts: Part[] = [];
  /** Writes a part to the stream and keeps the stored copy in step (same id: replaced). */
  const write = (part: Part) => {
    signal?.throwIfAborted();
    if (part.type === "text") {
      parts.push(part);
      const id = `${assistantMessageId}-intro`;
      writer.write({ type: "text-start", id });
      writer.write({ type: "text-delta", id, delta: part.text });
      writer.write({ type: "text-end", id });
      return;
    }
    if (part.type !== "data-item" && part.type !== "data-notice" && part.type !== "data-understood" && part.type !== "data-suggestions") return;
    if (part.type === "data-item") firstCardMs ??= Math.round(performance.now() - startedAt);
    const at = parts.findIndex((p) => "id" in p && p.id === part.id);
    if (at >= 0) parts[at] = part;
    else parts.push(part);
    writer.write(part);
  };

  // Stored at each finished card, not at each token: an interrupted answer keeps what was shown.
  const saveProgress = () => saveAssistantProgress(db, { id: assistantMessageId, parts });

  await startAssistantMessage(db, { conversationId, id: assistantMessageId });
  writer.write({ type: "start", messageId: assistantMessageId });
  // Tells other app instances this answer is alive (crash recovery: server/conversations/recovery.ts);
  // started right before the try whose finally stops it.
  const heartbeat = setInterval(() => {
    touchAssistantMessage(db, { id: assistantMessageId }).catch((error: unknown) => console.error("answer heartbeat failed", error));
  }, HEARTBEAT_MS);
  try {
    const catalog = activeCatalog();
    const nouns = catalogNouns(catalog);
    const index = await getCatalogIndex(db, catalog);
    if (index.entries.length === 0) {
      write({ type: "text", text: `The catalog "${catalog}" has no ${nouns.items} yet. Import one with \`npm run import\`.`, state: "done" });
    } else {
      const { request, namedEarlier: conversationItems, excludedEarlier } = await understandTurn(db, { conversationId, text, index, catalogItem: nouns.item });
      const which = whichOne(request);
      if (which) {
        // Two items answer to the same words: ask, rather than recommend around the wrong one.
        write({ type: "text", text: which.question, state: "done" });
        write({ type: "data-suggestions", id: `${assistantMessageId}-suggestions`, data: { options: which.options } });
        await finishAssistantMessage(db, { id: assistantMessageId, parts, status: "complete", firstCardMs });
        writer.write({ type: "finish" });
        return;
      }
      const exclude = new Set([
        ...(await notInterestedItemIds(db, { userId })),
        ...(await itemIdsShown(db, { conversationId })),
        ...excludedEarlier.map((e) => e.id),
        ...request.excludedItems.map((e) => e.id),
      ]);
      const demote = await dislikeWeights(db, { userId });
      const model = await servingModel(db);
      const llm = "runtime" in model ? model.runtime : null;
      // The model orders the cards only where it beat the baseline on held-out rows; it explains them either way.
      const ranks = llm ? modelRanks(llm) : null;
      const base = await recommendBaseline(db, {
        index,
        request,
        userId,
        exclude,
        nouns,
        conversationItems,
        demote,
        // With a model that ranks, the baseline fills its candidate pool (LLaRA's protocol: 20).
        limit: llm && ranks?.ranks ? modelLimits(llm).candidates : LIST_LENGTH,
      });
      write({ type: "text", text: [missingNote(request, nouns), introText(request, base, nouns)].filter(Boolean).join(" "), state: "done" });
      const understood = summaryOf(request);
      if (understood.using.length || understood.excluding.length) {
        write({ type: "data-understood", id: `${assistantMessageId}-understood`, data: understood });
      }
      await saveProgress();

      // What went wrong is logged; visitors read that it went wrong, not file names or stack traces.
      let modelFailed = false;
      let explanationFailed = false;
      const ranked = llm && ranks?.ranks
        ? await rankForTurn(llm, { index, request, base, exclude, demote, nouns, count: LIST_LENGTH, signal }).catch((error: unknown) => {
            // A model that fails on this request must not cost the visitor the answer.
            if (signal?.aborted) throw error;
            console.error("model ranking failed; answering with the baseline", error);
            modelFailed = true;
            return null;
          })
        : null;
      const picks: BaselinePick[] = ranked?.picks ?? base.picks.slice(0, LIST_LENGTH);
      const explainer = modelFailed ? null : llm;
      const historyTitles = explainer ? modelHistory(explainer, index, base.seeds).entries.map((e) => e.title) : [];
      for (const [i, pick] of picks.entries()) {
        const { card, rejected } = await storeRecommendation(db, {
          assistantMessageId, pick, rank: i + 1, rankedBy: ranked ? llm!.version : null, explaining: explainer !== null, nouns,
        });
        const id = `item-${card.recommendationId}`;
        write({ type: "data-item", id, data: { ...card } });
        if (!explainer || card.status === "ready") continue; // no model, or a merchandiser's text: nothing to generate
        await saveProgress();
        card.explanation = await explainPick(explainer, {
          onText: (explanation) => write({ type: "data-item", id, data: { ...card, explanation } }),
          request: [text, promptNote(request)].filter(Boolean).join(" "),
          pick,
          historyTitles,
          nouns,
          signal,
        }).catch((error: unknown) => {
          // The card keeps its evidence as the explanation; the notice says what happened.
          if (signal?.aborted) throw error;
          console.error("explanation failed", error);
          explanationFailed = true;
          return `${pick.evidence}.`;
        });
        // A text a merchandiser rejected is never served, even if the model writes it again.
        card.explanation = servableExplanation(card.explanation, `${pick.evidence}.`, rejected);
        card.status = "ready";
        await setExplanation(db, { id: card.recommendationId, explanation: card.explanation });
        write({ type: "data-item", id, data: { ...card } });
        await saveProgress();
      }
      const notRanking = ranks && !ranks.ranks ? ranks.why : null;
      write({ type: "data-notice", id: `${assistantMessageId}-notice`, data: noticeFor(model, ranked !== null, notRanking, modelFailed || explanationFailed, explanationFailed && !modelFailed) });
    }
    await finishAssistantMessage(db, { id: assistantMessageId, parts, status: "complete", firstCardMs });
    writer.write({ type: "finish" });
  } catch (error) {
    const reason = signal?.aborted ? "interrupted" : error instanceof Error ? error.message : String(error);
    await finishAssistantMessage(db, { id: assistantMessageId, parts, status: "failed", error: reason, firstCardMs });
    throw error;
  } finally {
    clearInterval(heartbeat);
  }
}

function noticeFor(
  model: Awaited<ReturnType<typeof servingModel>>,
  rankedByLlm: boolean,
  notRanking: string | null,
  failed: boolean,
  onlyExplanationsFailed: boolean,
): Notice {
  if (failed && onlyExplanationsFailed && "runtime" in model) {
    const ranker = rankedByLlm ? `Ranked by the language model ${model.runtime.version}` : "Ranked by the baseline recommender";
    return {
      level: "warning",
      text: `${ranker}; the language model ${model.runtime.version} could not write the explanations, so the cards show the recommender's evidence instead.`,
    };
  }
  if (failed) {
    return { level: "warning", text: "Answered by the baseline recommender: the language model failed on this request." };
  }
  if ("unavailable" in model) {
    return {
      level: "warning",
      text: `Answered by the baseline recommender (item co-occurrence and popularity): ${model.unavailable}.`,
    };
  }
  if (notRanking !== null) {
    return { level: "info", text: `Ranked by the baseline recommender and explained by the language model ${model.runtime.version}, which does not rank here: ${notRanking}.` };
  }
  return rankedByLlm
    ? { level: "info", text: `Ranked and explained by the language model ${model.runtime.version}.` }
    : {
        level: "info",
        text: `Picked by the baseline recommender: the language model ${model.runtime.version} ranks from what you liked, and nothing you liked is known to it yet.`,
      };
}

function titleList(entries: CatalogEntry[]): string {
  const titles = entries.slice(0, 3).map((e) => `*${e.title}*`);
  const more = entries.length > 3 ? ` and ${entries.length - 3} more` : "";
  return titles.length > 1 ? `${titles.slice(0, -1).join(", ")} and ${titles.at(-1)}${more}` : (titles[0] ?? "");
}

export function introText(request: Request, result: BaselineResult, nouns: CatalogNouns): string {
  if (result.picks.length === 0) {
    return `I couldn't find any ${nouns.items} that match that, even after loosening the filters. Try naming a ${nouns.item} you liked, or a genre.`;
  }
  const filters: string[] = [];
  if (request.genres.length) filters.push(request.genres.map((g) => g.replace(/-/g, " ")).join(" and "));
  // "classics", "graphic novels" are already plural nouns: no "books" after them.
  const pluralGenre = /s$/.test(request.genres.at(-1) ?? "") && request.genres.at(-1) !== "humor";
  const what = pluralGenre ? filters.join(" ") : [filters.join(" "), nouns.items].filter(Boolean).join(" ");
  const extra: string[] = [];
  if (request.creators.length) extra.push(`by ${request.creators.join(" or ")}`);
  if (request.yearFrom !== null || request.yearTo !== null) extra.push(yearText(request));
  if (request.excludedGenres.length) extra.push(`without ${request.excludedGenres.join(" or ")}`);
  const scope = [what, ...extra].join(" ");
  let because = "";
  if (result.seedsFrom === "message" || result.seedsFrom === "conversation") because = ` for fans of ${titleList(result.seeds)}`;
  else if (result.seedsFrom === "history") because = ` based on the ${nouns.items} you liked before`;
  const relaxed = result.relaxed ? ` Nothing matched every filter, so I ignored ${result.relaxed}.` : "";
  const count = Math.min(result.picks.length, LIST_LENGTH);
  return `Here are ${count} ${scope}${because}.${relaxed}`;
}

async function storeRecommendation(
  db: Db,
  {
    assistantMessageId,
    pick,
    rank,
    rankedBy,
    explaining,
    nouns,
  }: { assistantMessageId: string; pick: BaselinePick; rank: number; rankedBy: string | null; explaining: boolean; nouns: CatalogNouns },
): Promise<{ card: ItemCard; rejected: Set<string> }> {
  // A merchandiser's approved or edited text for this item and reason is served as is.
  const [reviewed, rejected] = await Promise.all([
    approvedExplanation(db, { itemId: pick.entry.id, reason: pick.reason }),
    rejectedExplanations(db, { itemId: pick.entry.id, reason: pick.reason }),
  ]);
  const explanation = reviewed ?? (explaining ? "" : servableExplanation(`${pick.evidence}.`, "", rejected));
  const source = rankedBy ?? pick.source;
  const row = await createRecommendation(db, {
    messageId: assistantMessageId, itemId: pick.entry.id, rank, score: pick.score, modelVersion: source, reason: pick.reason, explanation,
  });
  const card: ItemCard = {
    recommendationId: row.id,
    itemId: pick.entry.id,
    rank,
    title: pick.entry.title,
    creators: pick.entry.creators,
    year: pick.entry.year,
    genres: pick.entry.genres,
    reason: pick.reason,
    explanation,
    score: pick.score,
    source,
    link: nouns.searchUrl?.(pick.entry.title, pick.entry.creators) ?? null,
    status: explanation || !explaining ? "ready" : "explaining",
  };
  return { card, rejected };
}

/**
 * What a card may show: the text, unless a merchandiser rejected it; then the fallback (the
 * recommender's evidence), unless that was rejected too; then nothing.
 */
export function servableExplanation(text: string, fallback: string, rejected: Set<string>): string {
  for (const candidate of [text, fallback]) if (candidate && !rejected.has(normalizeExplanation(candidate))) return candidate;
  return "";
}

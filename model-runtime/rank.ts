/**
 * The listwise ranking head (training/rank.py): the history and up to 20 candidates, each followed by
 * its label — "Dune — Frank Herbert (A)" — in one prompt and ONE prefill. The LLM's scores are the
 * logits of the label tokens ("A" … "T") at the last position (label_head), or the logit of one score
 * token read at each candidate's closing label (item_head: the candidate has just read the history and
 * the request, which then comes before the list). They correct the recommender, never replace it:
 *
 *   score_i = a · SASRec_i + b · ln(1 + popularity_i) + β · label_logit_i      (a, b, β: manifest.ranking.fusion)
 *
 * The prompt is built from the manifest's text segments, each tokenized on its own and concatenated,
 * exactly as training built it; a title is cut to `title_tokens` tokens.
 */
import type { RankingSpec } from "./manifest";
import type { ModelFolder } from "./model-folder";
import { assertPlainText, PromptError, type PromptTokens } from "./prompt";
import { dotWithItem } from "./sasrec";

export interface LabelRankInput {
  /** Item rows the user interacted with, oldest first. */
  history: readonly number[];
  /** Item rows to rank (at most one per label). */
  candidates: readonly number[];
  /** What the user asked for, in their words (optional). */
  request?: string;
  signal?: AbortSignal;
}

export interface LabelScore {
  row: number;
  /** The candidate's position in the input list. */
  index: number;
  /** The LLM's label logit. */
  llm: number;
  /** SASRec's score: user state · item vector. */
  sasrec: number;
  logPopularity: number;
  /** The fused score the order follows. */
  score: number;
  /** softmax of the fused scores over the candidates. */
  probability: number;
}

export function rankingSpec(folder: ModelFolder): RankingSpec {
  const spec = folder.manifest.ranking;
  if (!spec) throw new PromptError(`model version ${folder.manifest.version} has no ranking head (manifest.ranking)`);
  return spec;
}

/** ln(1 + popularity) of an item row, as training computed it. */
export function logPopularity(folder: ModelFolder, row: number): number {
  return Math.log1p(folder.items[row]?.popularity ?? 0);
}

/** The recommender's half of the fused score for each candidate. */
export function recommenderScores(folder: ModelFolder, state: Float32Array, candidates: readonly number[]): { sasrec: number; logPopularity: number; score: number }[] {
  const { fusion } = rankingSpec(folder);
  return candidates.map((row) => {
    const sasrec = dotWithItem(state, folder.itemTable, row);
    const logPop = logPopularity(folder, row);
    return { sasrec, logPopularity: logPop, score: fusion.sasrec * sasrec + fusion.log_popularity * logPop };
  });
}

/** Token ids of fixed segments and of titles, per loaded folder: a ranking tokenizes only what is new. */
const encodedByFolder = new WeakMap<ModelFolder, Map<string, number[]>>();
function encodeCached(folder: ModelFolder, text: string): number[] {
  let cache = encodedByFolder.get(folder);
  if (!cache) encodedByFolder.set(folder, (cache = new Map()));
  let ids = cache.get(text);
  if (!ids) {
    ids = folder.tokenizer.encode(text);
    if (cache.size < 200_000) cache.set(text, ids);
  }
  return ids;
}

/** The ranking prompt's tokens, and where each shown candidate ends (its closing label's last token). */
export interface RankingPrompt extends PromptTokens {
  itemEnds: number[];
}

/** Token ids and slot rows of the ranking prompt; `order[k]` is the input index shown under label k. */
export function labelPrompt(folder: ModelFolder, { history, candidates, request }: Omit<LabelRankInput, "signal">, order?: readonly number[]): RankingPrompt {
  const spec = rankingSpec(folder);
  const { tokenizer, manifest } = folder;
  if (candidates.length < 1 || candidates.length > spec.labels.length) {
    throw new PromptError(`${candidates.length} candidates; this ranking head takes 1 to ${spec.labels.length}`);
  }
  const shown = order ?? candidates.map((_, i) => i);
  const seg = spec.segments;
  const ids: number[] = [];
  const slotRows: number[] = [];
  const push = (tokens: readonly number[]) => {
    ids.push(...tokens);
    for (let i = 0; i < tokens.length; i++) slotRows.push(0);
  };
  const plain = (text: string, what: string) => assertPlainText(tokenizer, text, what);
  const item = (row: number, slot: { id: number }) => {
    const entry = folder.items[row];
    if (entry === undefined) throw new PromptError(`item row ${row} is not in items.json`);
    push(encodeCached(folder, seg.title_prefix + plain(entry.title, `the title of item row ${row}`)).slice(0, spec.title_tokens));
    if (entry.creator && seg.creator_prefix !== undefined) push(encodeCached(folder, seg.creator_prefix + plain(entry.creator, `the creator of item row ${row}`)));
    if (spec.hybrid) {
      ids.push(slot.id);
      slotRows.push(row);
    }
  };
  push(encodeCached(folder, seg.head));
  history.forEach((row, i) => {
    push(encodeCached(folder, seg.history_item.replace("{n}", String(i + 1))));
    item(row, manifest.special_tokens.history_slot);
  });
  const requestLine = () => {
    if (request?.trim()) push(tokenizer.encode(seg.request_head + plain(request.trim(), "the request")));
  };
  if (spec.request_first) requestLine();
  push(encodeCached(folder, seg.candidates_head));
  const itemEnds: number[] = [];
  shown.forEach((index, k) => {
    push(encodeCached(folder, seg.candidate_item));
    item(candidates[index]!, manifest.special_tokens.candidate_slot);
    push(encodeCached(folder, seg.candidate_label.replace("{label}", spec.labels[k]!)));
    itemEnds.push(ids.length - 1);
  });
  if (!spec.request_first) requestLine();
  push(encodeCached(folder, seg.tail));
  return { ids, slotRows, text: tokenizer.decode(ids, { skipSpecial: false }), itemEnds };
}

/** The LLM's score of each shown candidate (label order) from the logits the head reads. */
export function headScores(folder: ModelFolder, logits: Float32Array, shown: number): number[] {
  const spec = rankingSpec(folder);
  const V = folder.manifest.dims.vocab;
  // label_head: one row (the last position), a column per label; item_head: a row per candidate, one column.
  return Array.from({ length: shown }, (_, k) => (spec.kind === "label_head" ? logits[spec.label_ids[k]!]! : logits[k * V + spec.score_id!]!));
}

/** Fuses the LLM's scores (in label order) with the recommender's: candidates best first. */
export function fuseScores(
  folder: ModelFolder,
  candidates: readonly number[],
  order: readonly number[],
  llmShown: readonly number[],
  recommender: ReturnType<typeof recommenderScores>,
): LabelScore[] {
  const spec = rankingSpec(folder);
  const llm = new Array<number>(candidates.length).fill(0);
  order.forEach((index, k) => (llm[index] = llmShown[k]!));
  const scored = candidates.map((row, index) => ({
    row,
    index,
    llm: llm[index]!,
    sasrec: recommender[index]!.sasrec,
    logPopularity: recommender[index]!.logPopularity,
    score: recommender[index]!.score + spec.fusion.beta * llm[index]!,
    probability: 0,
  }));
  const max = Math.max(...scored.map((s) => s.score));
  const total = scored.reduce((sum, s) => sum + Math.exp(s.score - max), 0);
  for (const s of scored) s.probability = Math.exp(s.score - max) / total;
  return scored.sort((a, b) => b.score - a.score);
}

/** The order candidates are shown in: as given, or the recommender's (best first) when the head was trained so. */
export function shownOrder(folder: ModelFolder, recommender: ReturnType<typeof recommenderScores>): number[] {
  const order = recommender.map((_, i) => i);
  if (rankingSpec(folder).candidate_order === "retriever") order.sort((a, b) => recommender[b]!.score - recommender[a]!.score);
  return order;
}

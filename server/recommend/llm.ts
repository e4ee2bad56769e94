import type { ModelRuntime } from "@/model-runtime";
import type { CatalogEntry, CatalogIndex } from "../catalog/catalog-index";
import { matchesRequest } from "../understand/filters";
import type { Request } from "../understand/request";
import type { CatalogNouns } from "../catalog/nouns";
import { cleanText } from "../chat/clean-text";
import { type BaselinePick, type BaselineResult, sinkDisliked } from "./baseline";

/**
 * The language-model side of a turn, and the one way from catalog entries to model rows: the
 * user's history as model rows (oldest first, the manifest's limit), more candidates from SASRec,
 * ranking by the LLM (the label head in one prefill, or a title-generation version's log-probabilities)
 * where its validation allows, and an explanation per card, streamed.
 * Catalog items and model rows meet through items.json's external ids.
 */

export type ModelPick = BaselinePick & { row: number };

const rowsByRuntime = new WeakMap<ModelRuntime, Map<string, number>>();

/** external id → model row, for the items the model was trained on. */
function modelRows(runtime: ModelRuntime): Map<string, number> {
  let rows = rowsByRuntime.get(runtime);
  if (!rows) {
    rows = new Map();
    for (const [row, item] of runtime.folder.items.entries()) if (item && row > 0) rows.set(item.id, row);
    rowsByRuntime.set(runtime, rows);
  }
  return rows;
}

export function rowOf(runtime: ModelRuntime, externalId: string): number | null {
  return modelRows(runtime).get(externalId) ?? null;
}

/** A history as the model reads it: oldest first, only items the model knows, the most recent ones it can take. */
export type ModelHistory = { entries: CatalogEntry[]; rows: number[] };

/** How many history items and candidates this model version takes (its manifest). */
export function modelLimits(runtime: ModelRuntime): { history: number; candidates: number } {
  const { prompt, sasrec } = runtime.folder.manifest;
  return { history: Math.min(prompt.max_history, sasrec.max_len), candidates: prompt.num_candidates };
}

/** Catalog entries, oldest first → the model's rows, oldest first, keeping the most recent `history` limit. */
export function modelHistory(runtime: ModelRuntime, index: CatalogIndex, entries: readonly CatalogEntry[]): ModelHistory {
  const known = entries.flatMap((entry) => {
    const row = rowOf(runtime, externalIdOf(index, entry));
    return row === null ? [] : [{ entry, row }];
  });
  const recent = known.slice(-modelLimits(runtime).history);
  return { entries: recent.map((k) => k.entry), rows: recent.map((k) => k.row) };
}

function hasSpecialTokens(runtime: ModelRuntime, text: string): boolean {
  return runtime.folder.tokenizer.specialTexts.some((special) => text.includes(special));
}

/** Removes the model's special tokens from text a user or a catalog wrote, so it stays plain text. */
export function plainText(runtime: ModelRuntime, text: string): string {
  let clean = text;
  for (const special of runtime.folder.tokenizer.specialTexts) clean = clean.split(special).join(" ");
  return clean.replace(/\s+/g, " ").trim();
}

/**
 * The candidate pool for ranking: the baseline's picks (co-occurrence, popularity within the
 * filters), then SASRec's top items for the history that meet the filters, up to `size`.
 * Items the model does not know are left out: they have no behaviour vector.
 */
export async function modelCandidates(
  runtime: ModelRuntime,
  {
    index,
    request,
    history,
    basePicks,
    exclude,
    nouns,
    size,
    signal,
  }: {
    index: CatalogIndex;
    request: Request;
    history: ModelHistory;
    basePicks: BaselinePick[];
    exclude: Set<number>;
    nouns: CatalogNouns;
    size: number;
    signal?: AbortSignal;
  },
): Promise<ModelPick[]> {
  const pool: ModelPick[] = [];
  const taken = new Set<number>();
  const add = (pick: BaselinePick) => {
    const row = rowOf(runtime, externalIdOf(index, pick.entry));
    if (row === null || taken.has(pick.entry.id) || pool.length >= size) return;
    // A title that holds one of the model's special tokens ("[CansEmb]", "<|im_start|>") could shift
    // the behaviour slots or forge a turn; the model cannot be asked to rank it.
    if (hasSpecialTokens(runtime, runtime.folder.items[row]?.title ?? "")) return;
    taken.add(pick.entry.id);
    pool.push({ ...pick, row });
  };
  for (const pick of basePicks) add(pick);

  if (history.rows.length > 0 && pool.length < size) {
    const byExternalId = new Map(index.entries.map((e) => [externalIdOf(index, e), e]));
    const excludedRows = [...exclude].flatMap((id) => {
      const entry = index.byId.get(id);
      return entry ? rowOrEmpty(runtime, index, entry) : [];
    });
    const scored = await runtime.recommendItems(history.rows, size * 5, { exclude: excludedRows, signal });
    const basis = history.entries.length === 1 ? history.entries[0]!.title : `your ${nouns.items}`;
    for (const item of scored) {
      const entry = byExternalId.get(item.id);
      if (!entry || exclude.has(entry.id) || !matchesRequest(entry, request)) continue;
      add({
        entry,
        score: item.score,
        reason: `close to ${basis}`,
        evidence: `The sequential recommender puts it close to ${basis === `your ${nouns.items}` ? `the ${nouns.items} you liked` : basis}`,
        source: "sasrec",
      });
    }
  }
  return pool;
}

function rowOrEmpty(runtime: ModelRuntime, index: CatalogIndex, entry: CatalogEntry): number[] {
  const row = rowOf(runtime, externalIdOf(index, entry));
  return row === null ? [] : [row];
}

// Catalog entries carry the database id; the model knows external ids.
function externalIdOf(index: CatalogIndex, entry: CatalogEntry): string {
  return index.externalIds.get(entry.id) ?? "";
}

/**
 * Whether this model version orders the cards: only a ranking head whose fused ranking beat the
 * strongest baseline on held-out rows (manifest.ranking.validation). Otherwise the baseline's order
 * is served, and the model still writes the explanations.
 */
export function modelRanks(runtime: ModelRuntime): { ranks: true } | { ranks: false; why: string } {
  const ranking = runtime.folder.manifest.ranking;
  if (!ranking) return { ranks: false, why: "this version has no ranking head (its title-generation ranking is not better than the baseline's)" };
  const v = ranking.validation;
  if (!v) return { ranks: false, why: "its ranking was not validated against a baseline" };
  if (v.fusion_hr1 <= v.baseline_hr1) {
    return { ranks: false, why: `its ranking did not beat ${v.baseline} on held-out ${v.split} rows (HR@1 ${v.fusion_hr1.toFixed(3)} vs ${v.baseline_hr1.toFixed(3)})` };
  }
  return { ranks: true };
}

/**
 * The LLM's top picks for a turn, from a pool of baseline + SASRec candidates, with the history it
 * read; null when it has nothing to add (no history it knows, or nothing to choose between: the
 * prompt is "this user has read <history>…").
 */
export async function rankForTurn(
  runtime: ModelRuntime,
  args: {
    index: CatalogIndex;
    request: Request;
    base: BaselineResult;
    exclude: Set<number>;
    /** The user's thumbs-down items and their weight: they sink (baseline sinkDisliked). */
    demote?: Map<number, number>;
    nouns: CatalogNouns;
    count: number;
    signal?: AbortSignal;
  },
): Promise<{ picks: ModelPick[]; history: ModelHistory } | null> {
  const { index, request, base, exclude, demote = new Map<number, number>(), nouns, count, signal } = args;
  const history = modelHistory(runtime, index, base.seeds);
  const size = modelLimits(runtime).candidates;
  const pool = await modelCandidates(runtime, { index, request, history, basePicks: base.picks, exclude, nouns, size, signal });
  if (history.rows.length === 0 || pool.length < 2) return null;
  const ranked = sinkDisliked(await rankWithModel(runtime, { history, pool, request, signal }), demote);
  return { picks: ranked.slice(0, count), history };
}

/**
 * What the person asked for, as the request line of the ranking prompt: the phrasings training
 * synthesized (training/requests.py) — "something fantasy", "something by X", "no romance please",
 * "something from the 1990s" — joined when there are several. Null when the message asks for none.
 */
export function requestLine(request: Request): string | null {
  const parts = [
    ...request.genres.map((g) => `something ${g.replace(/-/g, " ")}`),
    ...request.creators.map((c) => `something by ${c}`),
    ...request.excludedGenres.map((g) => `no ${g.replace(/-/g, " ")} please`),
  ];
  const { yearFrom, yearTo } = request;
  if (yearFrom !== null && yearTo !== null && yearTo - yearFrom === 9 && yearFrom % 10 === 0) parts.push(`something from the ${yearFrom}s`);
  return parts.length ? parts.join(", ") : null;
}

/**
 * Ranks the pool with the LLM, best first: with the label head, one prefill scores every candidate
 * (fused with SASRec and popularity); a title-generation version scores each candidate's title by
 * sequence log-probability.
 */
export async function rankWithModel(
  runtime: ModelRuntime,
  { history, pool, request, signal }: { history: ModelHistory; pool: ModelPick[]; request: Request; signal?: AbortSignal },
): Promise<ModelPick[]> {
  const head = runtime.folder.manifest.ranking;
  if (head) {
    const line = head.requests ? requestLine(request) : null;
    const scores = await runtime.rankByLabels({ history: history.rows, candidates: pool.map((p) => p.row), request: line ?? undefined, signal });
    return scores.map((s) => ({ ...pool[s.index]!, score: s.probability }));
  }
  const prompt = runtime.recommendationPrompt({ history: history.rows, candidates: pool.map((p) => p.row) });
  const scores = await runtime.rankCandidates(
    prompt,
    pool.map((p) => runtime.folder.items[p.row]!.title),
    { signal },
  );
  return scores.map((s) => ({ ...pool[s.index]!, score: s.probability }));
}

/** The explanation for one pick, streamed into `onText` as it grows; the whole text at the end. */
export async function explainPick(
  runtime: ModelRuntime,
  { onText, ...args }: { onText: (text: string) => void; request: string; pick: BaselinePick; historyTitles: string[]; nouns: CatalogNouns; signal?: AbortSignal },
): Promise<string> {
  let text = "";
  for await (const delta of explanationStream(runtime, args)) {
    text += cleanText(delta);
    onText(text.trim());
  }
  return text.trim() || `${args.pick.evidence}.`;
}

/** Streams a one- or two-sentence explanation of why the item fits what the user asked. */
function explanationStream(
  runtime: ModelRuntime,
  { request, pick, historyTitles, nouns, signal }: { request: string; pick: BaselinePick; historyTitles: string[]; nouns: CatalogNouns; signal?: AbortSignal },
): AsyncGenerator<string> {
  const item = pick.entry;
  const facts = [item.creators ? `by ${item.creators}` : "", item.year ? `from ${item.year}` : "", item.genres.slice(0, 3).join(", ")]
    .filter(Boolean)
    .join("; ");
  const liked = historyTitles.length ? ` They liked ${historyTitles.slice(-3).map((t) => `"${t}"`).join(", ")}.` : "";
  const user = plainText(
    runtime,
    `A reader asked for ${nouns.items}: "${request.slice(0, 400)}".${liked} In one or two sentences, tell them why they may enjoy "${item.title}" (${facts}). ${pick.evidence}.`,
  );
  return runtime.textStream(
    [
      { role: "system", content: `You are a friendly ${nouns.item} recommender. Be specific and brief.` },
      { role: "user", content: user },
    ],
    { maxNewTokens: 60, temperature: 0.7, topP: 0.9, stopSequences: ["\n\n"], signal },
  );
}

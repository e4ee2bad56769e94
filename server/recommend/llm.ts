import type { ModelRuntime } from "@/model-runtime";
import type { CatalogEntry, CatalogIndex } from "../catalog/catalog-index";
import { matchesRequest } from "../understand/filters";
import type { Request } from "../understand/request";
import type { CatalogNouns } from "../catalog/nouns";
import type { BaselinePick } from "./baseline";

/**
 * The language-model side of a turn: more candidates from SASRec, ranking by the LLM over a
 * LLaRA hybrid prompt (history and candidate titles, each followed by its behaviour slot), and
 * an explanation per chosen item, streamed. Catalog items and model rows meet through
 * items.json's external ids.
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
    history: CatalogEntry[];
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

  const historyRows = history.flatMap((e) => rowOrEmpty(runtime, index, e));
  if (historyRows.length > 0 && pool.length < size) {
    const byExternalId = new Map(index.entries.map((e) => [externalIdOf(index, e), e]));
    const excludedRows = [...exclude].flatMap((id) => {
      const entry = index.byId.get(id);
      return entry ? rowOrEmpty(runtime, index, entry) : [];
    });
    const scored = await runtime.recommendItems(historyRows.slice(-10), size * 5, { exclude: excludedRows, signal });
    const basis = history.length === 1 ? history[0]!.title : `your ${nouns.items}`;
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

/** Ranks the pool with the LLM: every candidate scored by sequence log-probability, best first. */
export async function rankWithModel(
  runtime: ModelRuntime,
  { history, pool, signal }: { history: number[]; pool: ModelPick[]; signal?: AbortSignal },
): Promise<ModelPick[]> {
  const prompt = runtime.recommendationPrompt({ history: history.slice(-10), candidates: pool.map((p) => p.row) });
  const scores = await runtime.rankCandidates(
    prompt,
    pool.map((p) => runtime.folder.items[p.row]!.title),
    { signal },
  );
  return scores.map((s) => ({ ...pool[s.index]!, score: s.probability }));
}

/** Streams a one- or two-sentence explanation of why the item fits what the user asked. */
export function explanationStream(
  runtime: ModelRuntime,
  { request, pick, historyTitles, nouns, signal }: { request: string; pick: ModelPick; historyTitles: string[]; nouns: CatalogNouns; signal?: AbortSignal },
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

/**
 * SASRec retrieval: the user's state from their item history (sasrec.onnx), then the top-K items by
 * dot product with the item embedding table — the same vectors the LLM prompt's behaviour slots
 * carry (pmixer/SASRec.pytorch's predict(): item embeddings · last hidden state).
 */
import * as ort from "onnxruntime-node";
import type { ModelFolder } from "./model-folder";
import type { FairScheduler } from "./queue";

export interface ScoredItem {
  row: number;
  id: string;
  title: string;
  score: number;
}

export interface TopKOptions {
  /** Rows never returned (already seen, rejected, "not interested"). */
  exclude?: ReadonlySet<number> | readonly number[];
  /** Extra rule per row (catalogue filters); false drops the item. */
  filter?: (row: number) => boolean;
  signal?: AbortSignal;
}

/** SASRec's score of one item: user state · the item's row of the embedding table. */
export function dotWithItem(state: Float32Array, table: Float32Array, row: number): number {
  const dim = state.length;
  let score = 0;
  for (let d = 0; d < dim; d++) score += state[d]! * table[row * dim + d]!;
  return score;
}

export class SasRec {
  private readonly maxLen: number;
  private readonly dim: number;
  private readonly count: number;

  constructor(
    private readonly folder: ModelFolder,
    private readonly scheduler: FairScheduler,
  ) {
    this.maxLen = folder.manifest.sasrec.max_len;
    this.dim = folder.manifest.dims.rec_dim;
    this.count = folder.manifest.items.count;
  }

  /** User state from item rows, oldest first; only the last max_len count, left-padded with row 0. */
  async userState(history: readonly number[], signal?: AbortSignal): Promise<Float32Array> {
    for (const row of history) {
      if (!Number.isInteger(row) || row < 1 || row > this.count) throw new RangeError(`history row ${row} is not in 1..${this.count}`);
    }
    const seq = new BigInt64Array(this.maxLen);
    const recent = history.slice(-this.maxLen);
    recent.forEach((row, i) => {
      seq[this.maxLen - recent.length + i] = BigInt(row);
    });
    // Urgent: the first card waits for it, and it costs well under a millisecond.
    const out = await this.scheduler.step(signal, () => this.folder.sasrec.run({ item_seq: new ort.Tensor("int64", seq, [1, this.maxLen]) }), true);
    const state = out.user_state;
    if (!state) throw new Error("sasrec.onnx returned no user_state");
    return (state.data as Float32Array).slice(0, this.dim);
  }

  /** The k best rows by state · embedding, skipping row 0, excluded rows and filtered-out rows. */
  topK(state: Float32Array, k: number, options: TopKOptions = {}): ScoredItem[] {
    if (state.length !== this.dim) throw new RangeError(`state has ${state.length} values, expected ${this.dim}`);
    const exclude = options.exclude instanceof Set ? options.exclude : new Set(options.exclude ?? []);
    const table = this.folder.itemTable;
    const scored: Array<{ row: number; score: number }> = [];
    for (let row = 1; row <= this.count; row++) {
      if (exclude.has(row) || (options.filter && !options.filter(row))) continue;
      scored.push({ row, score: dotWithItem(state, table, row) });
    }
    // Partial selection would be faster for 100k+ items; a sort of ~10k scores takes about a millisecond.
    scored.sort((a, b) => b.score - a.score);
    return scored.slice(0, Math.max(0, k)).map(({ row, score }) => {
      const item = this.folder.items[row];
      return { row, score, id: item?.id ?? String(row), title: item?.title ?? "" };
    });
  }

  async recommend(history: readonly number[], k: number, options: TopKOptions = {}): Promise<ScoredItem[]> {
    const state = await this.userState(history, options.signal);
    return this.topK(state, k, { ...options, exclude: new Set([...(options.exclude ?? []), ...history]) });
  }
}

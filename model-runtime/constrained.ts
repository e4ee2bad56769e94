/**
 * Constrained decoding over candidate strings (LLaRA's 20 candidate titles).
 *
 * The answer the model was trained on is `title + end_of_turn`, tokenized on its own. The same title
 * can also be written with other tokens: with a leading space, or merged with the text before it
 * when the prompt does not end on a token boundary. Each candidate therefore gets every distinct
 * tokenization ("variant"); all variants go into one token trie. Decoding can only follow the trie,
 * so the output is always exactly one candidate (ValidRatio 1.0 by construction).
 *
 * - chooseCandidate: walks the trie, one forward pass per branching point (runs of forced tokens
 *   are fed in one pass), greedy or sampled.
 * - rankCandidates: scores every variant by its sequence log-probability in batched passes that
 *   reuse the prompt's KV cache (prefilled once, then repeated across the batch); a candidate's
 *   score is the log of the summed probability of its variants.
 * Scores are log-probabilities under the full vocabulary (the model's own belief), not renormalized
 * within the trie.
 */
import type { KvCache } from "./llm";
import type { PromptTokens } from "./prompt";
import type { ModelRuntime } from "./runtime";
import { argmax, logSoftmax, logSumExp, sampleToken, seededRng, validateSampling } from "./sampling";

export interface CandidateVariant {
  ids: number[];
  logprob: number;
}

export interface CandidateScore {
  /** Index into the candidates given. */
  index: number;
  text: string;
  /** log Σ over variants of P(variant | prompt). */
  logprob: number;
  /** exp(logprob) renormalized over all candidates. */
  probability: number;
  variants: CandidateVariant[];
}

export interface ChosenCandidate {
  index: number;
  text: string;
  /** Log-probability of the token path that was decoded. */
  logprob: number;
  ids: number[];
}

export interface ConstrainedOptions {
  /**
   * Also allow " " + title. Default: true for chooseCandidate (the trie then accepts whichever form
   * the model starts), false for rankCandidates (a trained model puts almost no mass on a form it was
   * never trained on, and it makes ranking 1.4–1.6× slower: docs/BENCHMARKS.md, "Runtime").
   */
  spaceVariants?: boolean;
  signal?: AbortSignal;
}

export interface ChooseOptions extends ConstrainedOptions {
  /** 0 / undefined: greedy along the trie. */
  temperature?: number;
  seed?: number;
}

export interface RankOptions extends ConstrainedOptions {
  /** Upper bound on the memory of one batched pass (KV cache copies + logits). Default 256 MiB. */
  maxBatchBytes?: number;
  /** The fixed cost of one extra pass, in fed tokens (reading all weights once ≈ one decode step). Default 16. */
  passCostTokens?: number;
}

interface TrieNode {
  children: Map<number, TrieNode>;
  /** Candidate indices whose variant ends here (a leaf: variants all end with end_of_turn). */
  ends: number[];
}

export class TokenTrie {
  readonly root: TrieNode = { children: new Map(), ends: [] };

  insert(ids: readonly number[], candidate: number): void {
    let node = this.root;
    for (const id of ids) {
      let child = node.children.get(id);
      if (!child) {
        child = { children: new Map(), ends: [] };
        node.children.set(id, child);
      }
      node = child;
    }
    if (!node.ends.includes(candidate)) node.ends.push(candidate);
  }
}

/**
 * Every distinct tokenization of `text + end_of_turn` that can follow the prompt: on its own (as in
 * training), with a leading space, and as the tokenizer splits it right after the prompt's last
 * characters (dropped when the join would merge across the prompt's final token).
 */
export function candidateVariants(runtime: ModelRuntime, prompt: PromptTokens, text: string, { spaceVariants = true } = {}): number[][] {
  const tok = runtime.folder.tokenizer;
  const eot = runtime.folder.manifest.special_tokens.end_of_turn.token;
  const forms = [tok.encode(text + eot)];
  if (spaceVariants && !text.startsWith(" ")) forms.push(tok.encode(" " + text + eot));
  // The prompt's tail after its last special token (a chat template usually ends in one, plus "\n").
  const tail = lastPlainTail(prompt.text, tok.specialTexts, 32);
  if (tail) {
    const tailIds = tok.encode(tail);
    const joined = tok.encode(tail + text + eot);
    if (tailIds.every((id, i) => joined[i] === id)) forms.push(joined.slice(tailIds.length));
  }
  const seen = new Set<string>();
  return forms.filter((ids) => {
    const key = ids.join(",");
    if (ids.length === 0 || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function lastPlainTail(text: string, specials: readonly string[], maxChars: number): string {
  let start = Math.max(0, text.length - maxChars);
  for (const s of specials) {
    const i = text.lastIndexOf(s);
    if (i >= 0 && i + s.length > start) start = i + s.length;
  }
  return text.slice(start);
}

function checkCandidates(runtime: ModelRuntime, candidates: readonly string[]): void {
  if (candidates.length === 0) throw new RangeError("no candidates to choose from");
  candidates.forEach((c, i) => {
    if (c.length === 0) throw new RangeError(`candidate ${i} is empty`);
    // A special token inside a title would end (or forge) the answer early.
    const special = runtime.folder.tokenizer.specialTexts.find((t) => c.includes(t));
    if (special) throw new RangeError(`candidate ${i} contains the special token ${special}`);
  });
}

/**
 * Feed tokens to one sequence and return the logits row after each of them. Graphs that only return
 * the last position (and cannot be told otherwise) are fed one token at a time.
 */
async function feedAll(runtime: ModelRuntime, cache: KvCache, tokens: number[], signal?: AbortSignal): Promise<{ rows: Float32Array[]; cache: KvCache }> {
  const { decoder, scheduler } = runtime;
  const V = decoder.vocab;
  const rows: Float32Array[] = [];
  const chunks = decoder.allPositions || decoder.canChooseKept ? [tokens] : tokens.map((t) => [t]);
  for (const chunk of chunks) {
    const c = cache;
    const out = await scheduler.step(signal, () => decoder.forward({ ids: [chunk], cache: c, logitsToKeep: chunk.length }));
    if (out.kept < chunk.length) throw new Error(`graph returned ${out.kept} logits positions for ${chunk.length} tokens`);
    for (let j = 0; j < chunk.length; j++) {
      const p = out.kept - chunk.length + j;
      rows.push(out.logits.subarray(p * V, (p + 1) * V));
    }
    cache = out.cache;
  }
  return { rows, cache };
}

export async function chooseCandidate(
  runtime: ModelRuntime,
  prompt: PromptTokens,
  candidates: readonly string[],
  options: ChooseOptions = {},
): Promise<ChosenCandidate> {
  checkCandidates(runtime, candidates);
  validateSampling(options);
  const trie = new TokenTrie();
  candidates.forEach((c, i) => {
    for (const ids of candidateVariants(runtime, prompt, c, options)) trie.insert(ids, i);
  });
  const rng = options.seed === undefined ? Math.random : seededRng(options.seed);
  const pick = (row: Float32Array, allowed: number[]): number => {
    if (!options.temperature) return argmax(row, allowed);
    const sub = Float32Array.from(allowed, (id) => row[id]!);
    return allowed[sampleToken(sub, { temperature: options.temperature }, rng)]!;
  };

  let { cache, last } = await runtime.prefill(prompt, options.signal);
  let node = trie.root;
  const ids: number[] = [];
  let logprob = 0;
  while (node.children.size > 0) {
    const token = pick(last, [...node.children.keys()]);
    logprob += logSoftmax(last)[token]!;
    // Follow the run of forced tokens after it (a single child each) and feed the whole run at once.
    const run = [token];
    let next = node.children.get(token)!;
    while (next.children.size === 1) {
      const [only, child] = next.children.entries().next().value!;
      run.push(only);
      next = child;
    }
    const isLeaf = next.children.size === 0;
    const toFeed = isLeaf ? run.slice(0, -1) : run;
    if (toFeed.length > 0) {
      const fed = await feedAll(runtime, cache, toFeed, options.signal);
      cache = fed.cache;
      if (run.length > 1) {
        // The forced tokens' log-probabilities, all rows at once in onnxruntime.
        const rows = new Float32Array((run.length - 1) * runtime.decoder.vocab);
        for (let j = 1; j < run.length; j++) rows.set(fed.rows[j - 1]!, (j - 1) * runtime.decoder.vocab);
        const picked = await runtime.scheduler.step(options.signal, () => runtime.decoder.pickLogprobs(rows, run.slice(1)));
        for (const lp of picked) logprob += lp;
      }
      if (!isLeaf) last = fed.rows[fed.rows.length - 1]!;
    }
    ids.push(...run);
    node = next;
  }
  const index = node.ends[0]!;
  return { index, text: candidates[index]!, logprob, ids };
}

export async function rankCandidates(
  runtime: ModelRuntime,
  prompt: PromptTokens,
  candidates: readonly string[],
  options: RankOptions = {},
): Promise<CandidateScore[]> {
  checkCandidates(runtime, candidates);
  const { decoder } = runtime;
  const forms = { spaceVariants: options.spaceVariants ?? false };
  const variants = candidates.flatMap((text, index) => candidateVariants(runtime, prompt, text, forms).map((ids) => ({ index, ids, logprob: 0 })));
  const { cache, last } = await runtime.prefill(prompt, options.signal);
  const first = logSoftmax(last);
  for (const v of variants) v.logprob = first[v.ids[0]!]!;

  // The last token of a variant needs no pass of its own (only its probability, from the one before).
  const longest = Math.max(...variants.map((v) => v.ids.length - 1));
  if (longest > 0) {
    const P = cache.length;
    const rowBytes = decoder.cacheBytesPerToken * (P + longest) + longest * decoder.vocab * 4 * 2;
    const maxBatch = Math.max(1, Math.floor((options.maxBatchBytes ?? 256 * 2 ** 20) / rowBytes));
    const pending = variants.filter((v) => v.ids.length > 1).sort((a, b) => a.ids.length - b.ids.length);
    for (const [start, end] of planBatches(pending.map((v) => v.ids.length - 1), maxBatch, options.passCostTokens ?? 16)) {
      const batch = pending.slice(start, end);
      const logprob = await scoreBatch(runtime, cache, batch.map((v) => v.ids), options.signal);
      batch.forEach((v, b) => {
        for (let j = 1; j < v.ids.length; j++) v.logprob += logprob(b, j - 1);
      });
    }
  }

  const scores: CandidateScore[] = candidates.map((text, index) => {
    const mine = variants.filter((v) => v.index === index).map(({ ids, logprob }) => ({ ids, logprob }));
    return { index, text, logprob: logSumExp(mine.map((v) => v.logprob)), probability: 0, variants: mine };
  });
  const total = logSumExp(scores.map((s) => s.logprob));
  for (const s of scores) s.probability = Math.exp(s.logprob - total);
  return scores.sort((a, b) => b.logprob - a.logprob);
}

/**
 * Cuts sequences (lengths sorted ascending) into batches. A batch costs rows × its longest length in
 * fed tokens (padding is computed too) plus a fixed cost per pass; one batch pads short titles to
 * the longest, many batches pay the pass cost many times. Exact minimum by dynamic programming over
 * the sorted order (n ≤ a few hundred), with at most maxBatch rows per batch. Returns [start, end) pairs.
 */
export function planBatches(lengths: readonly number[], maxBatch: number, passCost: number): Array<[number, number]> {
  const n = lengths.length;
  const best = new Float64Array(n + 1).fill(Infinity);
  const cut = new Int32Array(n + 1);
  best[0] = 0;
  for (let end = 1; end <= n; end++) {
    for (let start = Math.max(0, end - maxBatch); start < end; start++) {
      const cost = best[start]! + (end - start) * lengths[end - 1]! + passCost;
      if (cost < best[end]!) {
        best[end] = cost;
        cut[end] = start;
      }
    }
  }
  const batches: Array<[number, number]> = [];
  for (let end = n; end > 0; end = cut[end]!) batches.unshift([cut[end]!, end]);
  return batches;
}

/**
 * One batched pass over right-padded sequences that all continue the same batch-1 prefix cache: feeds
 * each sequence but its last token, and returns log P(seq[j + 1] | prompt, seq[..j]) by (row, j).
 * The log-softmax and the pick run in onnxruntime (Decoder.pickLogprobs), not in JS.
 */
async function scoreBatch(runtime: ModelRuntime, prefix: KvCache, seqs: number[][], signal?: AbortSignal): Promise<(b: number, j: number) => number> {
  const { decoder, scheduler } = runtime;
  const B = seqs.length;
  const L = Math.max(...seqs.map((s) => s.length)) - 1;
  const P = prefix.length;
  const pad = runtime.folder.manifest.special_tokens.end_of_turn.id;
  const ids = seqs.map((s) => [...s.slice(0, -1), ...new Array<number>(L - (s.length - 1)).fill(pad)]);
  // Right padding: a real token never attends to a pad (pads come after it), so the mask only has to
  // hide pads from later pads; real positions keep their true position ids.
  const mask = seqs.map((s) => [...new Array<number>(P + s.length - 1).fill(1), ...new Array<number>(L - (s.length - 1)).fill(0)]);
  /** Target token after fed position j of row b (any valid id on padding; its value is never read). */
  const target = (b: number, j: number) => seqs[b]![j + 1] ?? pad;
  const expanded = decoder.expandCache(prefix, B);

  if (decoder.allPositions || decoder.canChooseKept) {
    const out = await scheduler.step(signal, () => decoder.forward({ ids, attentionMask: mask, cache: expanded, logitsToKeep: L }));
    const offset = out.kept - L;
    const targets = new Array<number>(B * out.kept).fill(pad);
    for (let b = 0; b < B; b++) for (let j = 0; j < L; j++) targets[b * out.kept + offset + j] = target(b, j);
    const picked = await scheduler.step(signal, () => decoder.pickLogprobs(out.logits, targets));
    return (b, j) => picked[b * out.kept + offset + j]!;
  }
  // Last-position-only graph: step through the columns.
  const perStep: Float32Array[] = [];
  let cache = expanded;
  for (let j = 0; j < L; j++) {
    const c = cache;
    const out = await scheduler.step(signal, () =>
      decoder.forward({ ids: ids.map((r) => [r[j]!]), attentionMask: mask.map((m) => m.slice(0, P + j + 1)), cache: c, logitsToKeep: 1 }),
    );
    perStep.push(await scheduler.step(signal, () => decoder.pickLogprobs(out.logits, seqs.map((_, b) => target(b, j)))));
    cache = out.cache;
  }
  return (b, j) => perStep[j]![b]!;
}

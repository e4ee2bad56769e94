/**
 * ModelRuntime: one loaded model version and everything requests need from it — the decoder with its
 * single shared InferenceSession, SASRec, and the FairScheduler every forward pass goes through.
 * This is the lower-level API the recommend flow calls; the AI SDK provider (provider.ts) wraps it.
 */
import { chooseCandidate, rankCandidates, type CandidateScore, type ChooseOptions, type ChosenCandidate, type RankOptions } from "./constrained";
import { generate, type GenerateOptions, type GenerationEvent } from "./generate";
import { DecodeBatcher } from "./batcher";
import { Decoder, type KvCache } from "./llm";
import { loadModelFolder, type LoadOptions, type ModelFolder } from "./model-folder";
import { encodePrompt, recommendationMessages, type HybridMessage, type PromptTokens } from "./prompt";
import { PrefixCache } from "./prefix-cache";
import { FairScheduler, type SchedulerOptions } from "./queue";
import { fuseScores, headScores, labelPrompt, recommenderScores, shownOrder, type LabelRankInput, type LabelScore } from "./rank";
import { SasRec, type ScoredItem, type TopKOptions } from "./sasrec";

export interface RuntimeOptions extends LoadOptions {
  scheduler?: SchedulerOptions;
  /** Prompt + generated tokens per request (default RECO_MAX_CONTEXT or 4096): bounds each KV cache. */
  maxContextTokens?: number;
  /**
   * Prefill long prompts in chunks of this many tokens, each its own scheduler step, so one long
   * prompt does not stall every other stream for its whole prefill. Off by default: with int8
   * dynamic quantization the activation scales are computed per pass, so chunking changes the
   * numbers (greedy tokens of the int8 fixture diverge after 5 tokens); fp32 is unaffected (< 1e-5).
   */
  prefillChunkTokens?: number;
  /**
   * Decode concurrent streams in one batched pass (batcher.ts): more throughput, but a stream's
   * tokens are no longer bit-for-bit those it would get alone. Off by default.
   */
  batchDecode?: boolean | { maxBatch?: number; maxWaitMs?: number };
  /**
   * Prompts whose KV cache is kept for reuse by a later prompt with the same beginning (prefix-cache.ts;
   * default RECO_PREFIX_CACHE or 4; 0 = off). Always off for llm.int8.onnx, whose numbers depend on how a prompt is cut.
   */
  prefixCacheEntries?: number;
}

export type PromptInput = readonly HybridMessage[] | PromptTokens;

export class ModelRuntime {
  readonly decoder: Decoder;
  readonly scheduler: FairScheduler;
  readonly sasrec: SasRec;
  readonly maxContextTokens: number;
  readonly prefillChunkTokens: number;
  readonly batcher: DecodeBatcher | null;
  readonly prefixCache: PrefixCache | null;
  private inUse = 0;
  private retired = false;
  private released: Promise<void> | null = null;

  constructor(
    readonly folder: ModelFolder,
    options: RuntimeOptions = {},
  ) {
    this.decoder = new Decoder(folder);
    this.scheduler = new FairScheduler(options.scheduler);
    this.maxContextTokens = options.maxContextTokens ?? intFromEnv("RECO_MAX_CONTEXT", 4096, 2);
    this.prefillChunkTokens = options.prefillChunkTokens ?? Infinity;
    if (!(this.prefillChunkTokens >= 1 && (Number.isInteger(this.prefillChunkTokens) || this.prefillChunkTokens === Infinity))) {
      throw new RangeError(`prefillChunkTokens must be a positive integer, got ${this.prefillChunkTokens}`);
    }
    this.sasrec = new SasRec(folder, this.scheduler);
    const entries = folder.llm.precision === "int8" ? 0 : (options.prefixCacheEntries ?? intFromEnv("RECO_PREFIX_CACHE", 4, 0));
    this.prefixCache = entries > 0 ? new PrefixCache(entries) : null;
    // Batched decoding left-pads rows of different lengths, which the fused graph cannot take: streams take turns.
    const batching = this.decoder.leftPadding ? options.batchDecode : false;
    this.batcher = batching
      ? new DecodeBatcher(this.decoder, this.scheduler, (batching === true ? {} : batching).maxBatch, (batching === true ? {} : batching).maxWaitMs)
      : null;
  }

  static async load(dir: string, options: RuntimeOptions = {}): Promise<ModelRuntime> {
    return new ModelRuntime(await loadModelFolder(dir, options), options);
  }

  get version(): string {
    return this.folder.manifest.version;
  }

  encode(prompt: PromptInput): PromptTokens {
    return "ids" in prompt ? prompt : encodePrompt(this.folder, prompt);
  }

  /** LLaRA's recommendation prompt (manifest templates) for item rows. */
  recommendationPrompt(args: Parameters<typeof recommendationMessages>[1]): PromptTokens {
    return encodePrompt(this.folder, recommendationMessages(this.folder, args));
  }

  /**
   * Runs the prompt through the model: its KV cache and the next token's logits. Starts from the
   * longest cached prefix (prefixCache), then chunked (see prefillChunkTokens); callers hold a
   * request place already.
   */
  async prefill(prompt: PromptTokens, signal?: AbortSignal, urgent = false): Promise<{ cache: KvCache; last: Float32Array }> {
    const { decoder, scheduler } = this;
    const n = this.prefillChunkTokens;
    const hit = this.prefixCache?.lookup(prompt);
    let cache = hit?.cache ?? decoder.emptyCache(1);
    let last: Float32Array | undefined;
    for (let start = hit?.length ?? 0; start < prompt.ids.length; start += n) {
      const past = cache;
      const out = await scheduler.step(
        signal,
        () => decoder.forward({ ids: [prompt.ids.slice(start, start + n)], slotRows: [prompt.slotRows.slice(start, start + n)], cache: past, logitsToKeep: 1 }),
        urgent,
      );
      cache = out.cache;
      last = out.logits.slice((out.kept - 1) * decoder.vocab, out.kept * decoder.vocab);
    }
    if (!last) throw new RangeError("empty prompt");
    this.prefixCache?.remember(prompt, cache);
    return { cache, last };
  }

  /** One pass over the prompt (after its longest cached prefix, if that stops before the first position): logits at `positions`, [positions, vocab]. */
  private async logitsAt(prompt: PromptTokens, positions: readonly number[], signal?: AbortSignal): Promise<Float32Array> {
    const hit = this.prefixCache?.lookup(prompt);
    const from = hit && hit.length <= Math.min(...positions) ? hit : null;
    const start = from?.length ?? 0;
    const out = await this.scheduler.step(
      signal,
      () =>
        this.decoder.forward({
          ids: [prompt.ids.slice(start)],
          slotRows: [prompt.slotRows.slice(start)],
          cache: from?.cache ?? this.decoder.emptyCache(1),
          logitsToKeep: prompt.ids.length - start,
          logitsAt: positions.map((p) => p - start),
        }),
      true, // ranking: what the first card waits for
    );
    this.prefixCache?.remember(prompt, out.cache);
    return out.logits;
  }

  /** Streams text deltas, then one finish event. Breaking out of the loop or aborting frees the request. */
  async *generate(prompt: PromptInput, options: GenerateOptions = {}): AsyncGenerator<GenerationEvent> {
    const tokens = this.encode(prompt);
    yield* this.holding(() => this.scheduler.streamRequest(options.signal, () => generate(this, tokens, options)));
  }

  /** Just the text deltas. */
  async *textStream(prompt: PromptInput, options: GenerateOptions = {}): AsyncGenerator<string> {
    for await (const event of this.generate(prompt, options)) if (event.type === "text") yield event.delta;
  }

  chooseCandidate(prompt: PromptInput, candidates: readonly string[], options: ChooseOptions = {}): Promise<ChosenCandidate> {
    const tokens = this.encode(prompt);
    return this.holdingPromise(() => this.scheduler.withRequest(options.signal, () => chooseCandidate(this, tokens, candidates, options)));
  }

  rankCandidates(prompt: PromptInput, candidates: readonly string[], options: RankOptions = {}): Promise<CandidateScore[]> {
    const tokens = this.encode(prompt);
    return this.holdingPromise(() => this.scheduler.withRequest(options.signal, () => rankCandidates(this, tokens, candidates, options)));
  }

  /** Whether this version has the listwise label head (one prefill ranks every candidate). */
  get hasRankingHead(): boolean {
    return this.folder.manifest.ranking !== undefined;
  }

  /**
   * Ranks candidates with the ranking head: SASRec's state, one prefill of the ranking prompt, the
   * head's scores, fused with the recommender's (rank.ts). Best first. Urgent in the scheduler: the
   * first card waits for it.
   */
  rankByLabels(input: LabelRankInput): Promise<LabelScore[]> {
    return this.holdingPromise(() =>
      this.scheduler.withRequest(input.signal, async () => {
        const state = await this.sasrec.userState(input.history, input.signal);
        const recommender = recommenderScores(this.folder, state, input.candidates);
        const order = shownOrder(this.folder, recommender);
        const prompt = labelPrompt(this.folder, input, order);
        if (prompt.ids.length > this.maxContextTokens) {
          throw new RangeError(`ranking prompt of ${prompt.ids.length} tokens does not fit the context limit of ${this.maxContextTokens}`);
        }
        const logits = this.folder.manifest.ranking!.kind === "label_head"
          ? (await this.prefill(prompt, input.signal, true)).last
          : await this.logitsAt(prompt, prompt.itemEnds, input.signal);
        return fuseScores(this.folder, input.candidates, order, headScores(this.folder, logits, order.length), recommender);
      }, true),
    );
  }

  /** SASRec top-K for a history of item rows (history rows and `exclude` never returned). */
  recommendItems(history: readonly number[], k: number, options: TopKOptions = {}): Promise<ScoredItem[]> {
    return this.holdingPromise(() => this.scheduler.withRequest(options.signal, () => this.sasrec.recommend(history, k, options), true));
  }

  /**
   * Stop serving: sessions are released once the last request using them ends (a new version has
   * been promoted, requests already streaming from this one finish on it).
   */
  retire(): Promise<void> {
    this.retired = true;
    return this.releaseIfIdle();
  }

  private releaseIfIdle(): Promise<void> {
    if (this.retired && this.inUse === 0) this.released ??= this.folder.release();
    return this.released ?? Promise.resolve();
  }

  private async *holding<T>(work: () => AsyncGenerator<T>): AsyncGenerator<T> {
    if (this.retired) throw new Error(`model version ${this.version} is retired`);
    this.inUse++;
    try {
      yield* work();
    } finally {
      this.inUse--;
      void this.releaseIfIdle();
    }
  }

  private async holdingPromise<T>(work: () => Promise<T>): Promise<T> {
    if (this.retired) throw new Error(`model version ${this.version} is retired`);
    this.inUse++;
    try {
      return await work();
    } finally {
      this.inUse--;
      void this.releaseIfIdle();
    }
  }
}

/** An integer setting from the environment (RECO_MAX_CONTEXT, RECO_PREFIX_CACHE), or its default when unset. */
function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, not ${JSON.stringify(raw)}`);
  return n;
}

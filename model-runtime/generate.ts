/**
 * Free-text generation: prefill the prompt once, then decode one token per step against the KV
 * cache, streaming text deltas as an async iterator. Every forward pass goes through the model's
 * FairScheduler, so concurrent generations advance in turn; an AbortSignal stops at the next step.
 */
import type { ModelRuntime } from "./runtime";
import type { KvCache } from "./llm";
import type { PromptTokens } from "./prompt";
import { sampleToken, seededRng, validateSampling, type SamplingOptions } from "./sampling";
import { StreamingDetokenizer } from "./tokenizer";

export interface GenerateOptions extends SamplingOptions {
  /** Default 256. */
  maxNewTokens?: number;
  /** Token ids that end generation (not emitted). Default: the manifest's eos and end_of_turn. */
  stopTokens?: readonly number[];
  /** Strings that end generation (not emitted), as the AI SDK's stopSequences. */
  stopSequences?: readonly string[];
  signal?: AbortSignal;
}

export type FinishReason = "stop" | "length";

export type GenerationEvent =
  | { type: "text"; delta: string }
  | { type: "finish"; reason: FinishReason; promptTokens: number; tokens: number[]; text: string };

export async function* generate(runtime: ModelRuntime, prompt: PromptTokens, options: GenerateOptions = {}): AsyncGenerator<GenerationEvent> {
  validateSampling(options);
  const maxNewTokens = options.maxNewTokens ?? 256;
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 1)) throw new RangeError(`maxNewTokens must be a positive integer, got ${maxNewTokens}`);
  if (prompt.ids.length === 0) throw new RangeError("empty prompt");
  const maxContext = runtime.maxContextTokens;
  if (prompt.ids.length >= maxContext) {
    throw new RangeError(`prompt of ${prompt.ids.length} tokens does not fit the context limit of ${maxContext} (RECO_MAX_CONTEXT)`);
  }
  // The context limit bounds every request's KV cache, and so the memory of maxActive requests.
  const budget = Math.min(maxNewTokens, maxContext - prompt.ids.length);
  const { decoder, scheduler, folder } = runtime;
  const special = folder.manifest.special_tokens;
  const stopTokens = new Set(options.stopTokens ?? [special.eos.id, special.end_of_turn.id]);
  const rng = options.seed === undefined ? Math.random : seededRng(options.seed);
  const signal = options.signal;
  const V = decoder.vocab;

  const detok = new StreamingDetokenizer(folder.tokenizer);
  const stops = new StopSequenceFilter(options.stopSequences ?? []);
  const tokens: number[] = [];
  let text = "";
  let reason: FinishReason = "length";
  let cutByStopSequence = false;

  // One decode step: alone through the scheduler, or batched with other streams (batcher.ts).
  const batcher = runtime.batcher;
  const decodeStep = async (past: KvCache, token: number) => {
    if (batcher) return batcher.step(past, token, signal);
    const out = await scheduler.step(signal, () => decoder.forward({ ids: [[token]], cache: past, logitsToKeep: 1 }));
    return { cache: out.cache, last: out.logits.subarray((out.kept - 1) * V, out.kept * V) };
  };

  let { cache, last } = await runtime.prefill(prompt, signal);
  batcher?.join();
  try {
    for (;;) {
      const token = sampleToken(last, options, rng);
      if (stopTokens.has(token)) {
        reason = "stop";
        break;
      }
      tokens.push(token);
      const { emit, stopped } = stops.push(detok.push(token));
      if (emit) {
        text += emit;
        yield { type: "text", delta: emit };
      }
      if (stopped) {
        reason = "stop";
        cutByStopSequence = true;
        break;
      }
      if (tokens.length >= budget) break;
      ({ cache, last } = await decodeStep(cache, token));
    }
  } finally {
    batcher?.leave();
  }
  // Text held back (an incomplete character, or what might have begun a stop sequence) is now final.
  if (!cutByStopSequence) {
    const { emit } = stops.push(detok.flush(), true);
    if (emit) {
      text += emit;
      yield { type: "text", delta: emit };
    }
  }
  yield { type: "finish", reason, promptTokens: prompt.ids.length, tokens, text };
}

/**
 * Holds back text that might be the start of a stop sequence, and cuts the stream where one appears.
 */
class StopSequenceFilter {
  private pending = "";

  constructor(private readonly sequences: readonly string[]) {}

  push(delta: string, final = false): { emit: string; stopped: boolean } {
    this.pending += delta;
    if (this.sequences.length === 0) return this.take(this.pending.length, false);
    let cut = -1;
    for (const s of this.sequences) {
      const i = s ? this.pending.indexOf(s) : -1;
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) return this.take(cut, true);
    if (final) return this.take(this.pending.length, false);
    // Keep the longest tail of pending that is a proper prefix of some stop sequence.
    let hold = 0;
    for (const s of this.sequences) {
      for (let n = Math.min(s.length - 1, this.pending.length); n > hold; n--) {
        if (this.pending.endsWith(s.slice(0, n))) {
          hold = n;
          break;
        }
      }
    }
    return this.take(this.pending.length - hold, false);
  }

  private take(n: number, stopped: boolean) {
    const emit = this.pending.slice(0, n);
    this.pending = stopped ? "" : this.pending.slice(n);
    return { emit, stopped };
  }
}

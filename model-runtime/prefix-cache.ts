/**
 * Prompt-prefix reuse: the KV caches of the last few prefilled prompts. A new prompt that starts
 * with the same tokens (and the same behaviour slots) as one of them prefills only what differs —
 * the five explanations of a turn share their system prompt, request and history and differ from
 * the item's title on; a conversation's next turn shares the chat template and instructions.
 *
 * Cached tensors are never written: a forward pass returns new present tensors, so one cache may
 * serve several requests at once. Reuse needs graphs whose numbers barely depend on how the prompt
 * is cut into passes: fp32 (< 1e-5) and the fused graphs (MatMulNBits quantizes each row's
 * activations on its own, but a one-token pass takes another kernel: within 1e-3 per position on
 * the test fixture); not llm.int8.onnx, whose activation scale is computed per pass.
 */
import * as ort from "onnxruntime-node";
import type { KvCache } from "./llm";
import type { PromptTokens } from "./prompt";

interface Entry {
  ids: readonly number[];
  slotRows: readonly number[];
  cache: KvCache;
}

export class PrefixCache {
  private entries: Entry[] = []; // most recently used last

  constructor(
    /** Prompts kept (each costs layers × 2 × kv_heads × head_dim × 4 bytes a token: 46 KB for SmolLM2-135M). */
    readonly maxEntries = 4,
    /** Shorter shared prefixes are not worth the copy. */
    readonly minTokens = 16,
  ) {}

  /** The longest cached prefix of the prompt (leaving at least its last token to run), or null. */
  lookup(prompt: PromptTokens): { length: number; cache: KvCache } | null {
    let best: { entry: Entry; length: number } | null = null;
    for (const entry of this.entries) {
      const limit = Math.min(entry.ids.length, prompt.ids.length - 1);
      let n = 0;
      while (n < limit && entry.ids[n] === prompt.ids[n] && entry.slotRows[n] === prompt.slotRows[n]) n++;
      if (n >= this.minTokens && (!best || n > best.length)) best = { entry, length: n };
    }
    if (!best) return null;
    this.entries = [...this.entries.filter((e) => e !== best.entry), best.entry];
    return { length: best.length, cache: truncate(best.entry.cache, best.length) };
  }

  /** Keeps a prefilled prompt's cache (batch 1); the least recently used one goes when full. */
  remember(prompt: PromptTokens, cache: KvCache): void {
    if (cache.batch !== 1 || cache.length !== prompt.ids.length || this.maxEntries < 1) return;
    this.entries = this.entries.filter((e) => e.ids.length !== prompt.ids.length || e.ids.some((id, i) => id !== prompt.ids[i]));
    this.entries.push({ ids: [...prompt.ids], slotRows: [...prompt.slotRows], cache });
    if (this.entries.length > this.maxEntries) this.entries.shift();
  }

  clear(): void {
    this.entries = [];
  }
}

/** The first `length` positions of a batch-1 cache (views when it is the whole cache, copies otherwise). */
function truncate(cache: KvCache, length: number): KvCache {
  if (length === cache.length) return cache;
  const tensors = cache.tensors.map((t) => {
    const [, heads, past, dim] = t.dims as number[];
    const src = t.data as Float32Array;
    const out = new Float32Array(heads! * length * dim!);
    for (let h = 0; h < heads!; h++) out.set(src.subarray(h * past! * dim!, (h * past! + length) * dim!), h * length * dim!);
    return new ort.Tensor("float32", out, [1, heads!, length, dim!]);
  });
  return { batch: 1, length, tensors };
}

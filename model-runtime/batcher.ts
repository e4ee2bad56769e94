/**
 * Batched decoding (opt-in: RuntimeOptions.batchDecode): the decode steps of concurrent streams run
 * as one forward pass of batch B instead of B passes. Decoding is bound by reading the weights, so a
 * pass of 4 rows costs far less than 4 passes (1.3–2.4× one row, measured on the SmolLM2 shape).
 *
 * Each stream keeps its own batch-1 cache. For a pass, caches of different lengths are right-aligned
 * into one left-padded cache [B, kv_heads, Pmax, head_dim] (padding masked out, each row keeping its
 * true position id), and the grown cache is split back per stream afterwards.
 *
 * Why it is off by default: rows that share a pass no longer compute bit-for-bit what they would
 * alone (fp32 rounds differently at another batch size; int8 dynamic quantization computes one
 * activation scale over the whole pass, so one user's tokens would depend on another's request).
 */
import * as ort from "onnxruntime-node";
import type { Decoder, KvCache } from "./llm";
import type { FairScheduler } from "./queue";

interface Waiting {
  cache: KvCache;
  token: number;
  resolve: (out: { cache: KvCache; last: Float32Array }) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class DecodeBatcher {
  /** Streams currently decoding: a pass starts once all of them have asked, or after maxWaitMs. */
  private streams = 0;
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Largest batch run so far (for tests and health checks). */
  maxBatchSeen = 0;

  constructor(
    private readonly decoder: Decoder,
    private readonly scheduler: FairScheduler,
    private readonly maxBatch = 16,
    private readonly maxWaitMs = 2,
  ) {}

  /** A stream starts decoding; call leave() when it ends, however it ends. */
  join(): void {
    this.streams++;
  }

  leave(): void {
    this.streams--;
    this.maybeRun();
  }

  /** One decode step of one stream: feeds `token` after `cache`, resolves with its grown cache and next logits. */
  step(cache: KvCache, token: number, signal?: AbortSignal): Promise<{ cache: KvCache; last: Float32Array }> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const w: Waiting = { cache, token, resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          this.waiting = this.waiting.filter((x) => x !== w);
          reject(signal.reason);
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      this.waiting.push(w);
      this.maybeRun();
    });
  }

  private maybeRun(): void {
    if (this.waiting.length === 0) return;
    if (this.waiting.length >= Math.min(this.streams, this.maxBatch)) return this.run();
    this.timer ??= setTimeout(() => this.run(), this.maxWaitMs);
  }

  private run(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.waiting.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    for (const w of batch) if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
    this.maxBatchSeen = Math.max(this.maxBatchSeen, batch.length);
    this.scheduler
      .step(undefined, () => this.forward(batch))
      .then(
        (outs) => batch.forEach((w, b) => w.resolve(outs[b]!)),
        (e) => batch.forEach((w) => w.reject(e)),
      );
    if (this.waiting.length > 0) this.maybeRun();
  }

  private async forward(batch: Waiting[]): Promise<Array<{ cache: KvCache; last: Float32Array }>> {
    const d = this.decoder;
    if (batch.length === 1) {
      const out = await d.forward({ ids: [[batch[0]!.token]], cache: batch[0]!.cache, logitsToKeep: 1 });
      return [{ cache: out.cache, last: out.logits.subarray((out.kept - 1) * d.vocab, out.kept * d.vocab) }];
    }
    const lengths = batch.map((w) => w.cache.length);
    const pMax = Math.max(...lengths);
    const merged: KvCache = { batch: batch.length, length: pMax, tensors: [] };
    const layerTensors = batch[0]!.cache.tensors.length;
    for (let t = 0; t < layerTensors; t++) merged.tensors.push(rightAligned(batch.map((w) => w.cache.tensors[t]!), pMax));
    const out = await d.forward({
      ids: batch.map((w) => [w.token]),
      attentionMask: lengths.map((p) => [...new Array<number>(pMax - p).fill(0), ...new Array<number>(p + 1).fill(1)]),
      positions: lengths,
      cache: merged,
      logitsToKeep: 1,
    });
    const V = d.vocab;
    return batch.map((w, b) => ({
      cache: { batch: 1, length: lengths[b]! + 1, tensors: out.cache.tensors.map((t) => rowTail(t, b, lengths[b]! + 1)) },
      last: out.logits.slice((b * out.kept + out.kept - 1) * V, (b * out.kept + out.kept) * V),
    }));
  }
}

/** Batch-1 tensors [1, H, P_b, D] → one [B, H, pMax, D] with each row's positions at the end. */
function rightAligned(rows: ort.Tensor[], pMax: number): ort.Tensor {
  const [, H, , D] = rows[0]!.dims as number[];
  const out = new Float32Array(rows.length * H! * pMax * D!);
  rows.forEach((t, b) => {
    const p = t.dims[2]!;
    const src = t.data as Float32Array;
    for (let h = 0; h < H!; h++) out.set(src.subarray(h * p * D!, (h + 1) * p * D!), ((b * H! + h) * pMax + (pMax - p)) * D!);
  });
  return new ort.Tensor("float32", out, [rows.length, H!, pMax, D!]);
}

/** Row b of [B, H, P, D], its last `keep` positions, as a batch-1 tensor. */
function rowTail(t: ort.Tensor, b: number, keep: number): ort.Tensor {
  const [, H, P, D] = t.dims as number[];
  const src = t.data as Float32Array;
  const out = new Float32Array(H! * keep * D!);
  for (let h = 0; h < H!; h++) {
    const start = ((b * H! + h) * P! + (P! - keep)) * D!;
    out.set(src.subarray(start, start + keep * D!), h * keep * D!);
  }
  return new ort.Tensor("float32", out, [1, H!, keep, D!]);
}

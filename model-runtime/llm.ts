/**
 * One forward pass of the decoder graph with its KV cache. Feeds are built from the graph's own
 * input names (session.inputNames), so a fused export without position_ids, or with
 * num_logits_to_keep, runs through the same code.
 *
 * Cache layout (contract): past_key_values.{i}.key/.value float32 [batch, kv_heads, past, head_dim];
 * the graph returns present.{i}.* = past + this step's keys/values, which become the next past.
 *
 * Two kinds of graphs (model-folder.ts, LlmGraphs): one whole graph (llm.onnx / llm.int8.onnx), or the
 * fused graphs cut in three — embed (the LLaRA splice) → decoder (GroupQueryAttention, MatMulNBits) →
 * lm_head, run here only on the positions that need logits. GroupQueryAttention takes its positions
 * from the attention mask, so the fused path accepts right padding only (the padded tail of a
 * ranking batch, which causal attention keeps away from the real tokens) and no left padding.
 */
import * as ort from "onnxruntime-node";
import type { ModelFolder } from "./model-folder";

export interface KvCache {
  batch: number;
  length: number;
  /** key, value for layer 0, then layer 1, ... */
  tensors: ort.Tensor[];
}

export interface ForwardInput {
  /** [batch][T] token ids; all rows the same length (pad on the right and mask it out). */
  ids: readonly (readonly number[])[];
  /** [batch][T] item row per token (0 = no splice). Omitted: no slots. */
  slotRows?: readonly (readonly number[])[];
  /** [batch][past + T] 1 = attend, 0 = padding. Omitted: all ones. */
  attentionMask?: readonly (readonly number[])[];
  cache: KvCache;
  /** Position id of each row's first fed token (rows of a left-padded batch). Omitted: the cache length. */
  positions?: readonly number[];
  /** How many last positions need logits (1 while decoding). The graph may return more. */
  logitsToKeep: number;
  /** Batch 1 only: logits at exactly these positions of the fed tokens, in this order (the item head). */
  logitsAt?: readonly number[];
}

export interface ForwardOutput {
  /** [batch, kept, vocab] row-major. */
  logits: Float32Array;
  /** Positions with logits: the last `kept` of the T fed (or `logitsAt`'s, when given). */
  kept: number;
  cache: KvCache;
}

export class Decoder {
  readonly vocab: number;
  readonly allPositions: boolean;
  readonly canChooseKept: boolean;
  private readonly inputs: ReadonlySet<string>;

  constructor(readonly model: ModelFolder) {
    this.vocab = model.manifest.dims.vocab;
    const llm = model.llm;
    this.inputs = new Set(llm.kind === "whole" ? llm.session.inputNames : llm.decoder.inputNames);
    this.allPositions = llm.kind === "whole" && llm.spec.logits === "all_positions";
    this.canChooseKept = llm.kind === "fused" || this.inputs.has("num_logits_to_keep");
  }

  /** Rows of a batch may start at different positions (left padding): not with GroupQueryAttention. */
  get leftPadding(): boolean {
    return this.model.llm.kind === "whole";
  }

  /** Bytes of cache per sequence and token: what bounds batch sizes and concurrent requests. */
  get cacheBytesPerToken(): number {
    const d = this.model.manifest.dims;
    return d.layers * 2 * d.kv_heads * d.head_dim * 4;
  }

  emptyCache(batch: number): KvCache {
    const { layers, kv_heads, head_dim } = this.model.manifest.dims;
    const tensors: ort.Tensor[] = [];
    for (let i = 0; i < layers * 2; i++) tensors.push(new ort.Tensor("float32", new Float32Array(0), [batch, kv_heads, 0, head_dim]));
    return { batch, length: 0, tensors };
  }

  /** A batch-1 cache repeated `batch` times (ranking candidates that share the prompt). */
  expandCache(cache: KvCache, batch: number): KvCache {
    if (cache.batch !== 1) throw new Error(`expandCache needs a batch-1 cache, got ${cache.batch}`);
    const tensors = cache.tensors.map((t) => {
      const src = t.data as Float32Array;
      const out = new Float32Array(src.length * batch);
      for (let b = 0; b < batch; b++) out.set(src, b * src.length);
      const [, h, p, d] = t.dims as number[];
      return new ort.Tensor("float32", out, [batch, h!, p!, d!]);
    });
    return { batch, length: cache.length, tensors };
  }

  /**
   * log softmax(logits row r)[targets[r]] for every row of a [rows, vocab] logits buffer, computed by
   * onnxruntime (see onnx-graph.ts: ~10× faster than JS over a 49k vocabulary).
   */
  async pickLogprobs(logits: Float32Array, targets: readonly number[]): Promise<Float32Array> {
    const rows = targets.length;
    if (logits.length !== rows * this.vocab) throw new Error(`${logits.length} logits for ${rows} rows of ${this.vocab}`);
    const out = await this.model.logprobs.run({
      logits: new ort.Tensor("float32", logits, [rows, this.vocab]),
      ids: new ort.Tensor("int64", BigInt64Array.from(targets, BigInt), [rows, 1]),
    });
    return out.picked!.data as Float32Array;
  }

  async forward(input: ForwardInput): Promise<ForwardOutput> {
    const { ids, cache } = input;
    const B = ids.length;
    const T = ids[0]?.length ?? 0;
    if (B !== cache.batch) throw new Error(`batch ${B} does not match the cache's ${cache.batch}`);
    if (T === 0 || ids.some((r) => r.length !== T)) throw new Error("forward needs rows of equal, non-zero length");
    const P = cache.length;
    const recDim = this.model.manifest.dims.rec_dim;
    const table = this.model.itemTable;

    const feeds: Record<string, ort.Tensor> = {};
    const inputIds = new BigInt64Array(B * T);
    const recMask = new Uint8Array(B * T);
    const recEmbeds = new Float32Array(B * T * recDim);
    const positions = new BigInt64Array(B * T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const k = b * T + t;
        inputIds[k] = BigInt(ids[b]![t]!);
        positions[k] = BigInt((input.positions?.[b] ?? P) + t);
        const row = input.slotRows?.[b]?.[t] ?? 0;
        if (row > 0) {
          recMask[k] = 1;
          recEmbeds.set(table.subarray(row * recDim, (row + 1) * recDim), k * recDim);
        }
      }
    }
    const mask = new BigInt64Array(B * (P + T)).fill(1n);
    if (input.attentionMask) {
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < P + T; j++) if (input.attentionMask[b]?.[j] === 0) mask[b * (P + T) + j] = 0n;
      }
    }
    feeds.input_ids = new ort.Tensor("int64", inputIds, [B, T]);
    feeds.rec_embeds = new ort.Tensor("float32", recEmbeds, [B, T, recDim]);
    feeds.rec_mask = new ort.Tensor("bool", recMask, [B, T]);
    feeds.attention_mask = new ort.Tensor("int64", mask, [B, P + T]);
    if (this.model.llm.kind === "fused") {
      // GroupQueryAttention takes several new tokens over a cache one row at a time (ranking's batches).
      if (B > 1 && P > 0 && T > 1) return this.forwardRows(input);
      return this.forwardFused(this.model.llm, feeds, input, B, T, P);
    }
    if (this.inputs.has("position_ids")) feeds.position_ids = new ort.Tensor("int64", positions, [B, T]);
    // With logitsAt, the last positions from the first one asked for.
    const keep = input.logitsAt ? T - Math.min(...input.logitsAt) : input.logitsToKeep;
    if (this.canChooseKept) feeds.num_logits_to_keep = new ort.Tensor("int64", BigInt64Array.of(BigInt(keep)), []);
    const layers = this.model.manifest.dims.layers;
    for (let i = 0; i < layers; i++) {
      feeds[`past_key_values.${i}.key`] = cache.tensors[2 * i]!;
      feeds[`past_key_values.${i}.value`] = cache.tensors[2 * i + 1]!;
    }

    const out = await this.model.llm.session.run(feeds);
    const logits = out.logits;
    if (!logits) throw new Error("the graph returned no logits");
    const kept = logits.dims[1]!;
    const tensors: ort.Tensor[] = [];
    for (let i = 0; i < layers; i++) tensors.push(out[`present.${i}.key`]!, out[`present.${i}.value`]!);
    const present = { batch: B, length: P + T, tensors };
    if (input.logitsAt) {
      // The graph returned the last `kept` positions; take the asked ones.
      const V = this.vocab;
      const rows = input.logitsAt.map((p) => p - (T - kept));
      if (B !== 1 || rows.some((r) => r < 0 || r >= kept)) throw new Error("logitsAt needs batch 1 and positions the graph returns logits for");
      const picked = new Float32Array(rows.length * V);
      rows.forEach((r, k) => picked.set((logits.data as Float32Array).subarray(r * V, (r + 1) * V), k * V));
      return { logits: picked, kept: rows.length, cache: present };
    }
    return { logits: logits.data as Float32Array, kept, cache: present };
  }

  /** Each row of the batch on its own (batch-1 slices of the cache), results joined back into one batch. */
  private async forwardRows(input: ForwardInput): Promise<ForwardOutput> {
    const B = input.ids.length;
    const outs: ForwardOutput[] = [];
    for (let b = 0; b < B; b++) {
      const tensors = input.cache.tensors.map((t) => {
        const [, h, p, d] = t.dims as number[];
        const size = h! * p! * d!;
        return new ort.Tensor("float32", (t.data as Float32Array).subarray(b * size, (b + 1) * size), [1, h!, p!, d!]);
      });
      outs.push(
        await this.forward({
          ids: [input.ids[b]!],
          slotRows: input.slotRows && [input.slotRows[b]!],
          attentionMask: input.attentionMask && [input.attentionMask[b]!],
          cache: { batch: 1, length: input.cache.length, tensors },
          logitsToKeep: input.logitsToKeep,
        }),
      );
    }
    const join = (parts: Float32Array[]) => {
      const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) all.set(p, (at += p.length) - p.length);
      return all;
    };
    const tensors = outs[0]!.cache.tensors.map((t, i) => {
      const [, h, p, d] = t.dims as number[];
      return new ort.Tensor("float32", join(outs.map((o) => o.cache.tensors[i]!.data as Float32Array)), [B, h!, p!, d!]);
    });
    return { logits: join(outs.map((o) => o.logits)), kept: outs[0]!.kept, cache: { batch: B, length: outs[0]!.cache.length, tensors } };
  }

  private async forwardFused(
    llm: Extract<ModelFolder["llm"], { kind: "fused" }>,
    feeds: Record<string, ort.Tensor>,
    input: ForwardInput,
    B: number,
    T: number,
    P: number,
  ): Promise<ForwardOutput> {
    if (input.positions?.some((p) => p !== P)) throw new Error("the fused graph cannot run left-padded rows (positions come from the attention mask)");
    input.attentionMask?.forEach((row) => {
      // Zeros are allowed only on the new tokens' right: causal attention keeps them from the real ones.
      const firstZero = row.indexOf(0);
      if (firstZero >= 0 && (firstZero < P || row.slice(firstZero).some((v) => v !== 0))) {
        throw new Error("the fused graph accepts right padding of the new tokens only");
      }
    });
    const { layers, hidden } = this.model.manifest.dims;
    const embedded = await llm.embed.run({ input_ids: feeds.input_ids!, rec_embeds: feeds.rec_embeds!, rec_mask: feeds.rec_mask! });
    const decoderFeeds: Record<string, ort.Tensor> = {
      inputs_embeds: embedded.inputs_embeds!,
      attention_mask: new ort.Tensor("int64", new BigInt64Array(B * (P + T)).fill(1n), [B, P + T]),
    };
    for (let i = 0; i < layers; i++) {
      decoderFeeds[`past_key_values.${i}.key`] = input.cache.tensors[2 * i]!;
      decoderFeeds[`past_key_values.${i}.value`] = input.cache.tensors[2 * i + 1]!;
    }
    const out = await llm.decoder.run(decoderFeeds);
    // Logits only where asked (logitsAt) or for each row's last `kept` positions: the head is the largest MatMul of a step.
    const states = out.hidden_states!.data as Float32Array;
    const rows = input.logitsAt ?? Array.from({ length: Math.min(input.logitsToKeep, T) }, (_, k) => T - Math.min(input.logitsToKeep, T) + k);
    if (input.logitsAt && (B !== 1 || rows.some((r) => r < 0 || r >= T))) throw new Error("logitsAt needs batch 1 and positions among the fed tokens");
    const kept = rows.length;
    const picked = new Float32Array(B * kept * hidden);
    for (let b = 0; b < B; b++) {
      rows.forEach((r, k) => picked.set(states.subarray((b * T + r) * hidden, (b * T + r + 1) * hidden), (b * kept + k) * hidden));
    }
    const head = await llm.head.run({ hidden: new ort.Tensor("float32", picked, [B * kept, hidden]) });
    const tensors: ort.Tensor[] = [];
    for (let i = 0; i < layers; i++) tensors.push(out[`present.${i}.key`]!, out[`present.${i}.value`]!);
    return { logits: head.logits!.data as Float32Array, kept, cache: { batch: B, length: P + T, tensors } };
  }
}

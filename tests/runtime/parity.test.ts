/**
 * The runtime against PyTorch (parity.json, written by training/export.py): same prompt text and
 * token ids, same last-position logits with an empty and with a non-empty KV cache, same greedy
 * tokens, same candidate log-probabilities, same SASRec user states.
 *
 * Any exported version folder can be checked the same way:
 *   RECO_PARITY_MODEL=models/<version> npx vitest run tests/runtime/parity.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelRuntime } from "@/model-runtime";
import { collect, FIXTURE, FUSED_CROSS_CPU_TOLERANCE, readParity } from "./fixture";

const MODEL = process.env.RECO_PARITY_MODEL || FIXTURE;
const parity = readParity(MODEL);

function maxTop20Diff(logits: Float32Array, want: { ids: number[]; values: number[] }): number {
  return Math.max(...want.ids.map((id, i) => Math.abs(logits[id]! - want.values[i]!)));
}

describe.each(["fp32", "int8", "fused-int8"] as const)("parity with PyTorch (%s)", (precision) => {
  let rt: ModelRuntime;
  beforeAll(async () => {
    // No prefix reuse: each check compares one cold pass with its reference.
    rt = await ModelRuntime.load(MODEL, { precision, threads: 1, prefixCacheEntries: 0 });
  });
  afterAll(() => rt.retire());
  // int8 and fused-int8 are compared with onnxruntime-python running the same files; fp32 with PyTorch itself.
  const tolerance = precision === "fused-int8" ? FUSED_CROSS_CPU_TOLERANCE : parity.tolerance;
  const expected = () => {
    if (precision === "fp32") return { top20: parity.logits_last_top20, greedy: parity.greedy.tokens };
    if (precision === "int8") return { top20: parity.int8!.logits_last_top20, greedy: parity.int8!.greedy_tokens };
    return { top20: parity.fused!.logits_last_top20, greedy: parity.fused!.greedy_tokens };
  };

  it("builds the same prompt text, token ids and slot rows", () => {
    const prompt = rt.recommendationPrompt({ history: parity.history, candidates: parity.candidates });
    expect(prompt.text).toBe(parity.prompt_text);
    expect(prompt.ids).toEqual(parity.input_ids);
    expect(prompt.slotRows).toEqual(parity.slot_items);
    expect(prompt.slotRows.map((r) => r > 0)).toEqual(parity.rec_mask);
  });

  it("matches the last-position logits within tolerance", async () => {
    const d = rt.decoder;
    const out = await d.forward({ ids: [parity.input_ids], slotRows: [parity.slot_items], cache: d.emptyCache(1), logitsToKeep: 1 });
    const last = out.logits.subarray((out.kept - 1) * d.vocab, out.kept * d.vocab);
    expect(maxTop20Diff(last, expected().top20)).toBeLessThan(tolerance);
  });

  it.runIf(precision !== "int8")("matches with a non-empty KV cache (prefill, then the last tokens)", async () => {
    const d = rt.decoder;
    const k = parity.with_past.past_length;
    const head = await d.forward({ ids: [parity.input_ids.slice(0, k)], slotRows: [parity.slot_items.slice(0, k)], cache: d.emptyCache(1), logitsToKeep: 1 });
    expect(head.cache.length).toBe(k);
    const tail = await d.forward({ ids: [parity.with_past.input_ids], slotRows: [parity.with_past.slot_items], cache: head.cache, logitsToKeep: 1 });
    const last = tail.logits.subarray((tail.kept - 1) * d.vocab, tail.kept * d.vocab);
    const want = precision === "fp32" ? parity.with_past.logits_last_top20 : parity.fused!.with_past_logits_last_top20;
    expect(maxTop20Diff(last, want)).toBeLessThan(tolerance);
  });

  it("decodes the same greedy tokens", async () => {
    const prompt = rt.recommendationPrompt({ history: parity.history, candidates: parity.candidates });
    const { tokens } = await collect(rt.generate(prompt, { maxNewTokens: parity.greedy.steps, stopTokens: parity.greedy.stop_ids }));
    const want = expected().greedy;
    // PyTorch stops at a stop id without listing it; the runtime does the same.
    expect(tokens).toEqual(want.filter((t) => !parity.greedy.stop_ids.includes(t)));
  });

  // fused-int8 ranks in right-padded batches over a shared cache; its reference scored each answer alone.
  it.runIf(precision !== "int8")("scores every candidate answer as PyTorch does", async () => {
    const prompt = rt.recommendationPrompt({ history: parity.history, candidates: parity.candidates });
    const ranked = await rt.rankCandidates(prompt, parity.candidate_titles);
    for (const [i, want] of parity.candidate_scores.entries()) {
      const got = ranked.find((r) => r.text === want.title)!;
      const variant = got.variants.find((v) => v.ids.join() === want.answer_ids.join());
      expect(variant, `the training tokenization of ${want.title} is among its variants`).toBeDefined();
      const logprob = precision === "fp32" ? want.logprob : parity.fused!.vs_fp32.candidate_logprobs[i]!;
      expect(Math.abs(variant!.logprob - logprob)).toBeLessThan(tolerance * want.answer_ids.length);
    }
  });

  it.runIf(precision === "fp32")("computes SASRec user states as PyTorch does", async () => {
    for (const [i, seq] of parity.sasrec.item_seq.entries()) {
      const state = await rt.sasrec.userState(seq.filter((r) => r > 0));
      const want = parity.sasrec.user_state[i]!;
      expect(Math.max(...want.map((v, d) => Math.abs(state[d]! - v)))).toBeLessThan(parity.tolerance);
    }
  });
});

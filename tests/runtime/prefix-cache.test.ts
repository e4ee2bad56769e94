/**
 * Prompt-prefix reuse (prefix-cache.ts): a prompt that starts like an earlier one prefills only the
 * rest, and its cache and next-token logits equal a cold prefill's — on fp32 and on the fused graphs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelRuntime, type PromptTokens } from "@/model-runtime";
import { collect, FIXTURE, parity } from "./fixture";

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe.each(["fp32", "fused-int8"] as const)("prefix cache (%s)", (precision) => {
  let warm: ModelRuntime;
  let cold: ModelRuntime;
  beforeAll(async () => {
    warm = await ModelRuntime.load(FIXTURE, { precision, threads: 1 });
    cold = new ModelRuntime(warm.folder, { prefixCacheEntries: 0 });
  });
  afterAll(() => warm.retire());

  // Two explanation-like prompts: the same instructions and history, a different item at the end.
  const prompts = (): [PromptTokens, PromptTokens] => [
    warm.recommendationPrompt({ history: [1, 2, 3, 4], candidates: [10, 11, 12] }),
    warm.recommendationPrompt({ history: [1, 2, 3, 4], candidates: [10, 11, 13] }),
  ];

  it("prefills only what differs, with the cold prefill's cache length and logits", async () => {
    const [first, second] = prompts();
    await warm.prefill(first);
    const hit = warm.prefixCache!.lookup(second);
    const shared = second.ids.findIndex((id, i) => id !== first.ids[i] || second.slotRows[i] !== first.slotRows[i]);
    expect(hit?.length).toBe(shared);
    expect(hit!.cache.length).toBe(shared);
    const reused = await warm.prefill(second);
    const fresh = await cold.prefill(second);
    expect(reused.cache.length).toBe(second.ids.length);
    expect(maxDiff(reused.last, fresh.last)).toBeLessThan(parity.tolerance);
    for (const [i, t] of fresh.cache.tensors.entries()) {
      expect(reused.cache.tensors[i]!.dims).toEqual(t.dims);
      expect(maxDiff(reused.cache.tensors[i]!.data as Float32Array, t.data as Float32Array)).toBeLessThan(parity.tolerance);
    }
  });

  it("runs at least the last token when the whole prompt was seen, and generates what a cold runtime does", async () => {
    const [first] = prompts();
    await warm.prefill(first);
    expect(warm.prefixCache!.lookup(first)!.length).toBe(first.ids.length - 1);
    const tokens = async (rt: ModelRuntime) => (await collect(rt.generate(first, { maxNewTokens: 6, stopTokens: [] }))).tokens;
    expect(await tokens(warm)).toEqual(await tokens(cold));
  });

  it("does not reuse a prefix whose behaviour slot holds another item", () => {
    const [first] = prompts();
    const firstSlot = first.slotRows.findIndex((r) => r > 0);
    // The same token ids throughout, but another item's vector in the first slot.
    const other: PromptTokens = { ...first, slotRows: first.slotRows.map((r, i) => (i === firstSlot ? r + 1 : r)) };
    const hit = warm.prefixCache!.lookup(other);
    expect(hit).not.toBeNull();
    expect(hit!.length).toBe(firstSlot);
  });
});

describe("prefix cache and llm.int8.onnx", () => {
  it("is off: that graph's activation scales depend on how the prompt is cut", async () => {
    const rt = await ModelRuntime.load(FIXTURE, { precision: "int8", threads: 1 });
    expect(rt.prefixCache).toBeNull();
    await rt.retire();
  });
});

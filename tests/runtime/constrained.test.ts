/**
 * Constrained decoding always yields exactly one of the candidates, and batched ranking agrees with
 * scoring each candidate on its own (so padding, masks and the shared prefix cache are right).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { candidateVariants, ModelRuntime, TokenTrie, type PromptTokens } from "@/model-runtime";
import { planBatches } from "@/model-runtime/constrained";
import { logSoftmax } from "@/model-runtime/sampling";
import { FIXTURE, parity } from "./fixture";

let rt: ModelRuntime;
let prompt: PromptTokens;
beforeAll(async () => {
  rt = await ModelRuntime.load(FIXTURE, { threads: 1 });
  prompt = rt.recommendationPrompt({ history: parity.history, candidates: parity.candidates });
});
afterAll(() => rt.retire());

/** Reference: the sequence log-probability of `ids` after the prompt, one token at a time, no batching. */
async function sequenceLogprob(ids: number[]): Promise<number> {
  const d = rt.decoder;
  let out = await d.forward({ ids: [prompt.ids], slotRows: [prompt.slotRows], cache: d.emptyCache(1), logitsToKeep: 1 });
  let total = 0;
  for (const [j, id] of ids.entries()) {
    total += logSoftmax(out.logits.subarray((out.kept - 1) * d.vocab, out.kept * d.vocab))[id]!;
    if (j < ids.length - 1) out = await d.forward({ ids: [[id]], cache: out.cache, logitsToKeep: 1 });
  }
  return total;
}

describe("TokenTrie and variants", () => {
  it("shares prefixes and marks where each candidate ends", () => {
    const trie = new TokenTrie();
    trie.insert([5, 6, 2], 0);
    trie.insert([5, 7, 2], 1);
    trie.insert([5, 6, 2], 2);
    expect([...trie.root.children.keys()]).toEqual([5]);
    expect([...trie.root.children.get(5)!.children.keys()]).toEqual([6, 7]);
    expect(trie.root.children.get(5)!.children.get(6)!.children.get(2)!.ends).toEqual([0, 2]);
  });

  it("gives the training tokenization first, a leading-space form, every one ending in end_of_turn", () => {
    const eot = rt.folder.manifest.special_tokens.end_of_turn;
    const variants = candidateVariants(rt, prompt, "The Hobbit");
    expect(variants[0]).toEqual(rt.folder.tokenizer.encode(`The Hobbit${eot.token}`));
    expect(variants.some((v) => rt.folder.tokenizer.decode(v) === " The Hobbit")).toBe(true);
    for (const v of variants) expect(v.at(-1)).toBe(eot.id);
  });

  it("adds the form a title takes right after the prompt's last characters, when the join is clean", () => {
    const tok = rt.folder.tokenizer;
    const clean = candidateVariants(rt, { ...prompt, text: "Answer: The H" }, "obbit", { spaceVariants: false });
    const joined = tok.encode("Answer: The Hobbit<|im_end|>").slice(tok.encode("Answer: The H").length);
    expect(clean).toContainEqual(joined);
    for (const v of clean) expect(tok.decode(v)).toBe("obbit");
  });

  it("drops the joined form when the title would merge with the prompt's last token", () => {
    // "…Harry Pot" tokenizes " Pot" on its own, but "Potter" is one token: that form would need the
    // prompt re-tokenized, which a cache of the prompt cannot do; only clean continuations remain.
    const tok = rt.folder.tokenizer;
    const tail = tok.encode("Answer: Harry Pot");
    const merged = tok.encode("Answer: Harry Potter<|im_end|>");
    expect(tail.every((id, i) => merged[i] === id)).toBe(false);
    const variants = candidateVariants(rt, { ...prompt, text: "Answer: Harry Pot" }, "ter", { spaceVariants: false });
    expect(variants).toEqual([tok.encode("ter<|im_end|>")]);
  });
});

describe("chooseCandidate", () => {
  it("always returns one of the candidates, whatever the prompt, candidates, seed and temperature", async () => {
    const titles = (rows: number[]) => rows.map((r) => rt.folder.items[r]!.title);
    // Titles that are prefixes of one another, share long prefixes, or repeat, are the hard cases.
    const sets = [
      parity.candidate_titles,
      ["1984", "1984 (Signet Classics)", "19", "A", "An"],
      titles([2, 18, 21, 23, 25, 27]), // Harry Potter and the …
      ["The Hobbit", "The Hobbit", "The Help"],
      ["x"],
    ];
    let runs = 0;
    for (const [s, candidates] of sets.entries()) {
      for (const temperature of [0, 1, 3]) {
        for (const seed of [1, 2]) {
          const p = rt.recommendationPrompt({ history: [1 + s, 5, 9 + seed], candidates: [2, 3, 4], templateIndex: (s + seed) % 3 });
          const chosen = await rt.chooseCandidate(p, candidates, { temperature, seed });
          expect(candidates).toContain(chosen.text);
          expect(candidates[chosen.index]).toBe(chosen.text);
          expect(rt.folder.tokenizer.decode(chosen.ids).trim()).toBe(chosen.text);
          expect(chosen.logprob).toBeLessThan(0);
          runs++;
        }
      }
    }
    expect(runs).toBe(30);
  });

  it("reports the true log-probability of the path it decoded", async () => {
    const chosen = await rt.chooseCandidate(prompt, parity.candidate_titles);
    expect(Math.abs(chosen.logprob - (await sequenceLogprob(chosen.ids)))).toBeLessThan(1e-3);
  });

  it("refuses an empty candidate list, and a title holding a special token", async () => {
    await expect(rt.chooseCandidate(prompt, [])).rejects.toThrow(/no candidates/);
    await expect(rt.rankCandidates(prompt, ["Dune", "Emma<|im_end|>"])).rejects.toThrow(/candidate 1 contains the special token <\|im_end\|>/);
  });
});

describe("rankCandidates", () => {
  it("scores every variant as one-at-a-time decoding does, and sorts candidates by score", async () => {
    const ranked = await rt.rankCandidates(prompt, parity.candidate_titles, { spaceVariants: true });
    expect(ranked.some((r) => r.variants.length > 1)).toBe(true);
    expect(ranked.map((r) => r.text).sort()).toEqual([...parity.candidate_titles].sort());
    for (let i = 1; i < ranked.length; i++) expect(ranked[i - 1]!.logprob).toBeGreaterThanOrEqual(ranked[i]!.logprob);
    expect(ranked.reduce((s, r) => s + r.probability, 0)).toBeCloseTo(1, 6);
    for (const r of ranked.slice(0, 4)) {
      for (const v of r.variants) expect(Math.abs(v.logprob - (await sequenceLogprob(v.ids)))).toBeLessThan(1e-3);
    }
  });

  it("gives the same scores in small batches as in one (memory bound honoured without changing results)", async () => {
    const whole = await rt.rankCandidates(prompt, parity.candidate_titles);
    const split = await rt.rankCandidates(prompt, parity.candidate_titles, { maxBatchBytes: 1 });
    expect(split.map((r) => r.text)).toEqual(whole.map((r) => r.text));
    split.forEach((r, i) => expect(Math.abs(r.logprob - whole[i]!.logprob)).toBeLessThan(1e-3));
  });

  it("agrees with greedy constrained decoding when there is a single variant per title", async () => {
    const options = { spaceVariants: false };
    const [best] = await rt.rankCandidates(prompt, parity.candidate_titles, options);
    const chosen = await rt.chooseCandidate(prompt, parity.candidate_titles, options);
    // Greedy may miss the best sequence, but it can never find a more probable one than ranking's best.
    expect(chosen.logprob).toBeLessThanOrEqual(best!.logprob + 1e-6);
  });
});

describe("planBatches", () => {
  it("keeps one batch when padding is cheaper than another pass", () => {
    expect(planBatches([3, 3, 4, 4], 64, 16)).toEqual([[0, 4]]);
  });

  it("splits short and long titles when padding the short ones would cost more than a pass", () => {
    // 10 rows of 2 tokens and 10 of 20: one batch = 20 × 20 + 16 = 416; two = 10×2 + 16 + 10×20 + 16 = 252.
    const lengths = [...new Array(10).fill(2), ...new Array(10).fill(20)];
    expect(planBatches(lengths, 64, 16)).toEqual([[0, 10], [10, 20]]);
  });

  it("never puts more than maxBatch rows in a batch, and covers every row once", () => {
    const lengths = Array.from({ length: 37 }, (_, i) => 1 + Math.floor(i / 4));
    const batches = planBatches(lengths, 5, 16);
    expect(batches.every(([a, b]) => b - a <= 5 && b > a)).toBe(true);
    expect(batches.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i))).toEqual(lengths.map((_, i) => i));
  });
});

/** Token choice: greedy, temperature, top-k and top-p cut the right tokens; seeds repeat. */
import { describe, expect, it } from "vitest";
import { argmax, logSoftmax, logSumExp, sampleToken, seededRng } from "@/model-runtime/sampling";

const logits = Float32Array.from([1, 5, 3, 4.5, -2]); // order by value: 1, 3, 2, 0, 4

function histogram(options: Parameters<typeof sampleToken>[1], draws = 4000): Map<number, number> {
  const rng = seededRng(7);
  const counts = new Map<number, number>();
  for (let i = 0; i < draws; i++) {
    const t = sampleToken(logits, options, rng);
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return counts;
}

describe("sampling", () => {
  it("is greedy at temperature 0 or unset", () => {
    expect(sampleToken(logits, {}, Math.random)).toBe(1);
    expect(sampleToken(logits, { temperature: 0, topP: 0.1 }, Math.random)).toBe(1);
    expect(argmax(logits, [0, 2, 4])).toBe(2);
  });

  it("draws in proportion to softmax(logits / T)", () => {
    const counts = histogram({ temperature: 1 }, 20000);
    const p = Array.from(logSoftmax(logits), Math.exp);
    for (const [token, n] of counts) expect(Math.abs(n / 20000 - p[token]!)).toBeLessThan(0.02);
  });

  it("keeps only the top-k tokens", () => {
    expect([...histogram({ temperature: 1, topK: 2 }).keys()].sort()).toEqual([1, 3]);
  });

  it("keeps the smallest set whose probability reaches top-p", () => {
    const p = Array.from(logSoftmax(logits), Math.exp); // p[1] ≈ 0.55, p[3] ≈ 0.33
    expect(p[1]!).toBeLessThan(0.6);
    expect([...histogram({ temperature: 1, topP: 0.6 }).keys()].sort()).toEqual([1, 3]);
    expect([...histogram({ temperature: 1, topP: 0.5 }).keys()]).toEqual([1]);
  });

  it("repeats with the same seed and differs with another", () => {
    const draw = (seed: number) => {
      const rng = seededRng(seed);
      return Array.from({ length: 50 }, () => sampleToken(logits, { temperature: 2 }, rng));
    };
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
  });

  it("computes log-sum-exp stably", () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.log(2), 9);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
  });
});

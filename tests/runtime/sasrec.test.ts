/** SASRec retrieval: top-K by dot product, exclusions and filters, left-padding of short histories. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelRuntime } from "@/model-runtime";
import { FIXTURE } from "./fixture";

let rt: ModelRuntime;
beforeAll(async () => {
  rt = await ModelRuntime.load(FIXTURE, { threads: 1 });
});
afterAll(() => rt.retire());

function bruteForce(state: Float32Array, skip: Set<number>): number[] {
  const { itemTable, manifest } = rt.folder;
  const dim = manifest.dims.rec_dim;
  const rows = Array.from({ length: manifest.items.count }, (_, i) => i + 1).filter((r) => !skip.has(r));
  const score = (r: number) => state.reduce((s, v, d) => s + v * itemTable[r * dim + d]!, 0);
  return rows.sort((a, b) => score(b) - score(a));
}

describe("SasRec", () => {
  it("returns the k best items by dot product, never a history item", async () => {
    const history = [1, 2, 3, 7];
    const state = await rt.sasrec.userState(history);
    const top = await rt.recommendItems(history, 5);
    expect(top.map((t) => t.row)).toEqual(bruteForce(state, new Set(history)).slice(0, 5));
    expect(top[0]!.title).toBe(rt.folder.items[top[0]!.row]!.title);
    for (let i = 1; i < top.length; i++) expect(top[i - 1]!.score).toBeGreaterThanOrEqual(top[i]!.score);
  });

  it("honours exclusions and filters", async () => {
    const history = [4, 5];
    const unfiltered = await rt.recommendItems(history, 3);
    const banned = unfiltered[0]!.row;
    const top = await rt.recommendItems(history, 40, { exclude: [banned], filter: (row) => row % 2 === 0 });
    expect(top.map((t) => t.row)).not.toContain(banned);
    expect(top.every((t) => t.row % 2 === 0 && !history.includes(t.row))).toBe(true);
  });

  it("uses only the last max_len items of a long history", async () => {
    const maxLen = rt.folder.manifest.sasrec.max_len;
    const recent = Array.from({ length: maxLen }, (_, i) => (i % 40) + 1);
    const long = [33, 34, 35, ...recent];
    expect(await rt.sasrec.userState(long)).toEqual(await rt.sasrec.userState(recent));
  });

  it("refuses rows outside the table", async () => {
    await expect(rt.sasrec.userState([0])).rejects.toThrow(/not in 1\.\.40/);
    await expect(rt.sasrec.userState([41])).rejects.toThrow(/not in 1\.\.40/);
  });
});

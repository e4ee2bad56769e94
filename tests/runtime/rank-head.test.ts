/** The ranking heads on the tiny fixture: the prompt's ids and the LLM's scores equal PyTorch's (parity.json), for both kinds of head. */
import { readFileSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labelPrompt, ModelFolderError, ModelRuntime } from "@/model-runtime";
import { FIXTURE, FUSED_CROSS_CPU_TOLERANCE, rehash } from "./fixture";

type RankingCase = { request: string | null; input_ids: number[]; slot_items: number[]; item_ends: number[]; scores: number[]; fused_scores: number[] };
const parity = JSON.parse(readFileSync(path.join(FIXTURE, "parity.json"), "utf8")) as {
  tolerance: number;
  ranking: { history: number[]; candidates: number[]; kind: string; score_id: number; label_head: RankingCase[]; item_head: RankingCase[] };
};

/** The fixture's folder with its ranking head switched to the other kind (parity.json has references for both). */
async function withHead(kind: "label_head" | "item_head"): Promise<string> {
  if (kind === parity.ranking.kind) return FIXTURE;
  const dir = await mkdtemp(path.join(tmpdir(), `reco-${kind}-`));
  await cp(FIXTURE, dir, { recursive: true });
  const manifestPath = path.join(dir, "manifest.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  manifest.ranking = { ...manifest.ranking, kind, score_id: parity.ranking.score_id, request_first: kind === "item_head" };
  await writeFile(manifestPath, JSON.stringify(manifest));
  return dir;
}

describe.each(["label_head", "item_head"] as const)("the ranking head (%s)", (kind) => {
  let dir: string;
  let rt: ModelRuntime;
  const cases = parity.ranking[kind];
  const input = (c: RankingCase) => ({ history: parity.ranking.history, candidates: parity.ranking.candidates, request: c.request ?? undefined });
  beforeAll(async () => {
    dir = await withHead(kind);
    rt = await ModelRuntime.load(dir, { precision: "fp32" });
  });
  afterAll(async () => {
    await rt.retire();
    if (dir !== FIXTURE) await rm(dir, { recursive: true, force: true });
  });

  it("builds the prompt training built, with and without a request, and knows where each candidate ends", () => {
    for (const c of cases) {
      const prompt = labelPrompt(rt.folder, input(c));
      expect(prompt.ids).toEqual(c.input_ids);
      expect(prompt.slotRows).toEqual(c.slot_items);
      expect(prompt.itemEnds).toEqual(c.item_ends);
    }
  });

  it("scores every candidate in one prefill with PyTorch's scores, fused as the manifest says", async () => {
    for (const c of cases) {
      const scores = await rt.rankByLabels(input(c));
      expect(scores).toHaveLength(20);
      const byIndex = [...scores].sort((a, b) => a.index - b.index);
      byIndex.forEach((s, i) => {
        expect(s.row).toBe(parity.ranking.candidates[i]);
        expect(Math.abs(s.llm - c.scores[i]!)).toBeLessThan(parity.tolerance);
      });
      const { fusion } = rt.folder.manifest.ranking!;
      for (const s of scores) expect(s.score).toBeCloseTo(fusion.sasrec * s.sasrec + fusion.log_popularity * s.logPopularity + fusion.beta * s.llm, 5);
      expect(scores.map((s) => s.score)).toEqual([...scores.map((s) => s.score)].sort((a, b) => b - a));
      expect(scores.reduce((sum, s) => sum + s.probability, 0)).toBeCloseTo(1, 6);
    }
  });

  it("scores the same on the fused graphs as onnxruntime-python does (their own reference)", async () => {
    const fused = await ModelRuntime.load(dir, { precision: "fused-int8" });
    try {
      for (const c of cases) {
        const scores = await fused.rankByLabels(input(c));
        for (const s of scores) expect(Math.abs(s.llm - c.fused_scores[s.index]!)).toBeLessThan(FUSED_CROSS_CPU_TOLERANCE);
      }
    } finally {
      await fused.retire();
    }
  });

  it("refuses a title or a request that smuggles a special token", () => {
    expect(() => labelPrompt(rt.folder, { history: [1], candidates: [2, 3], request: "ignore this [CansEmb]" })).toThrow(/request contains the special token \[CansEmb\]/);
    expect(() => labelPrompt(rt.folder, { history: [1], candidates: Array.from({ length: 21 }, (_, i) => i + 1) })).toThrow(/21 candidates; this ranking head takes 1 to 20/);
  });
});

describe("a model folder with a label head", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "reco-label-head-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("is refused when a label is not the single token the manifest names", async () => {
    await cp(FIXTURE, dir, { recursive: true });
    const manifestPath = path.join(dir, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { ranking: { label_ids: number[] } };
    manifest.ranking.label_ids[3] = manifest.ranking.label_ids[4]!;
    await writeFile(manifestPath, JSON.stringify(manifest));
    const error = await ModelRuntime.load(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFolderError);
    expect(String(error)).toMatch(/ranking label "D" encodes as \[\d+\], manifest says the single token \d+/);
  });

  it("is refused when items.json lacks the popularity the fusion reads", async () => {
    await cp(FIXTURE, dir, { recursive: true, force: true });
    const itemsPath = path.join(dir, "items.json");
    const items = JSON.parse(readFileSync(itemsPath, "utf8")) as { rows: { popularity?: number }[] };
    delete items.rows[5]!.popularity;
    await writeFile(itemsPath, JSON.stringify(items));
    await rehash(dir, "items.json");
    await expect(ModelRuntime.load(dir)).rejects.toThrow(/items\.json: the manifest has a ranking head, whose fusion needs every row's popularity/);
  });
});

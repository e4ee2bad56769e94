import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { labelPrompt, ModelRuntime } from "@/model-runtime";
import { getCatalogIndex } from "@/server/catalog/catalog-index";
import { understand } from "@/server/understand/request";
import { catalogNouns } from "@/server/catalog/nouns";
import { recommendBaseline } from "@/server/recommend/baseline";
import { modelHistory, rankForTurn } from "@/server/recommend/llm";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

// The one way from a user's history to model rows: oldest first, the most recent ones the manifest
// allows, for SASRec and for the prompt alike. Real runtime on the tiny fixture; the spies only record.
const FIXTURE = "tests/fixtures/tiny-model";
const items = (JSON.parse(readFileSync(path.join(FIXTURE, "items.json"), "utf8")) as { rows: { row: number; id: string; title: string }[] }).rows;

describe("the model reads a history oldest first", () => {
  let t: TestDatabase;
  let runtime: ModelRuntime;
  const userId = "4f1c2a3b-5d6e-4f70-8a9b-0c1d2e3f4a5b";
  const itemIdOfRow = new Map<number, number>();

  beforeAll(async () => {
    t = await createTestDatabase("sqlite");
    runtime = await ModelRuntime.load(FIXTURE);
    for (const item of items) {
      const created = await t.db.item.create({ data: { catalog: "goodbooks", externalId: item.id, title: item.title, metadata: {}, genres: "|fiction|" } });
      itemIdOfRow.set(item.row, created.id);
    }
    await t.db.user.create({ data: { id: userId, externalId: "visitor:history-order" } });
    // Liked in this order in time, inserted in another, so the database order proves nothing.
    const likedInTimeOrder = [7, 3, 12, 5];
    for (const [k, row] of [...likedInTimeOrder.entries()].reverse()) {
      await t.db.interaction.create({
        data: { userId, itemId: itemIdOfRow.get(row)!, kind: "like", at: new Date(Date.UTC(2026, 0, 1 + k)), source: "test" },
      });
    }
    // Other readers, so the baseline has co-occurrence to work with.
    for (let r = 0; r < 5; r++) {
      const other = await t.db.user.create({ data: { externalId: `other:${r}` } });
      for (const row of [7, 20 + r, 25]) {
        await t.db.interaction.create({ data: { userId: other.id, itemId: itemIdOfRow.get(row)!, kind: "like", at: new Date(r * 10), source: "test" } });
      }
    }
  });
  afterAll(async () => {
    await runtime.retire();
    await t.cleanup();
  });

  it("passes the exact rows, oldest first, to SASRec and to the prompt", async () => {
    const index = await getCatalogIndex(t.db, "goodbooks");
    const nouns = catalogNouns("goodbooks");
    const request = understand("something good", index);
    const base = await recommendBaseline(t.db, { index, request, userId, exclude: new Set(), nouns, limit: 20 });
    expect(base.seedsFrom).toBe("history");

    const retrieval = vi.spyOn(runtime, "recommendItems");
    const ranking = vi.spyOn(runtime, "rankByLabels");
    const state = vi.spyOn(runtime.sasrec, "userState");
    const ranked = await rankForTurn(runtime, { index, request, base, exclude: new Set(), nouns, count: 5 });
    expect(ranked).not.toBeNull();
    expect(ranked!.history.rows).toEqual([7, 3, 12, 5]);
    expect(retrieval.mock.calls[0]?.[0]).toEqual([7, 3, 12, 5]);
    expect(ranking.mock.calls[0]?.[0].history).toEqual([7, 3, 12, 5]);
    expect(ranking.mock.calls[0]?.[0].candidates).toHaveLength(20);
    // SASRec's state for the ranking is the same history, and so is the prompt's history block.
    expect(state.mock.calls.map((c) => c[0])).toEqual([[7, 3, 12, 5], [7, 3, 12, 5]]);
    const prompt = labelPrompt(runtime.folder, { history: [7, 3, 12, 5], candidates: ranking.mock.calls[0]![0].candidates });
    expect(prompt.slotRows.filter((row) => row > 0).slice(0, 4)).toEqual([7, 3, 12, 5]);
    vi.restoreAllMocks();
  });

  it("keeps the most recent items when the history is longer than the manifest allows", async () => {
    const index = await getCatalogIndex(t.db, "goodbooks");
    const entries = Array.from({ length: 14 }, (_, k) => index.byId.get(itemIdOfRow.get(k + 1)!)!);
    const history = modelHistory(runtime, index, entries);
    expect(runtime.folder.manifest.prompt.max_history).toBe(10);
    expect(history.rows).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(history.entries.map((e) => e.title)).toEqual(items.slice(4, 14).map((i) => i.title));
  });
});

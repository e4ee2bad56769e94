import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { toggleFeedback } from "@/server/db/queries/feedback";
import { insights, periods } from "@/server/insights/insights";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

// The product team's figures over hand-made rows with known answers, on both databases.
describe.each(["sqlite", "postgresql"] as const)("insights on %s", (kind) => {
  let t: TestDatabase;
  const now = new Date("2026-12-10T12:00:00Z");
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    for (let i = 1; i <= 10; i++) await t.db.item.create({ data: { catalog: "books", externalId: String(i), title: `Book ${i}`, metadata: {} } });
    const items = (await t.db.item.findMany({ orderBy: { id: "asc" } })).map((i) => i.id);
    const [ann, bob] = [await t.db.user.create({ data: {} }), await t.db.user.create({ data: {} })];
    let n = 0;
    // One answer: `cards` cards by `version` on `day`, reactions on the first cards, first card after `ms`.
    const answer = async (user: string, day: string, version: string, itemIdx: number[], reactions: string[][], ms: number) => {
      const conversation = await t.db.conversation.create({ data: { userId: user } });
      const id = `${kind}-a${n++}`;
      await t.db.message.create({ data: { id, conversationId: conversation.id, role: "assistant", parts: [], createdAt: new Date(`${day}T10:00:00Z`), firstCardMs: ms } });
      for (const [rank, idx] of itemIdx.entries()) {
        const rec = await t.db.recommendation.create({
          data: { messageId: id, itemId: items[idx]!, rank: rank + 1, score: 1, modelVersion: version, reason: "r", createdAt: new Date(`${day}T10:00:01Z`) },
        });
        for (const kind of reactions[rank] ?? []) await t.db.feedback.create({ data: { recommendationId: rec.id, userId: user, kind: kind as "thumbs_up" } });
      }
    };
    // Dec 9: Ann sees 4 cards of v1, likes 1 and saves 1 (the same card counts once as positive), clicks 1;
    //        Bob sees 2 cards of v1, thumbs one down.  → positive rate = mean(1/4, 0/2) = 0.125
    await answer(ann.id, "2026-12-09", "v1", [0, 1, 2, 3], [["thumbs_up", "save", "click"]], 400);
    await answer(bob.id, "2026-12-09", "v1", [0, 4], [["thumbs_down"]], 800);
    // Dec 10: Ann sees 2 cards of v2, says "not interested" to one and saves the other.
    await answer(ann.id, "2026-12-10", "v2", [5, 6], [["not_interested"], ["save"]], 1200);
    // The previous period (Oct 12 – Nov 10): Bob, 5 cards of v1, no reactions.
    await answer(bob.id, "2026-11-01", "v1", [0, 1, 2, 3, 4], [], 2000);
    await t.db.modelVersion.create({ data: { name: "v2", path: "/x", status: "candidate", metrics: { hr1: 0.4567 } } });
  });
  afterAll(() => t.cleanup());

  test("periods: the default is the 30 days up to today; the previous period has the same length", () => {
    const p = periods({}, now);
    expect(p.days).toHaveLength(30);
    expect(p.days.at(-1)).toBe("2026-12-10");
    expect(p.previous.to).toEqual(p.current.from);
    expect(p.current.to.getTime() - p.current.from.getTime()).toBe(p.previous.to.getTime() - p.previous.from.getTime());
    expect(periods({ from: "2026-12-10", to: "2026-12-01" }, now).error).toMatch(/after the end/);
  });

  test("rates per day, per version and for the period, with the previous period beside them", async () => {
    const data = await insights(t.db, {}, now);
    const { current, previous } = data.stats;
    expect(current.cards).toBe(8);
    // Users weight the days: Dec 9 (2 users, 0.125), Dec 10 (Ann: 1 positive of 2 = 0.5) → (0.125·2 + 0.5·1) / 3
    expect(current.positiveRate).toBeCloseTo((0.125 * 2 + 0.5) / 3, 6);
    expect(current.thumbsDownRate).toBeCloseTo(1 / 8, 6);
    expect(current.clickRate).toBeCloseTo(1 / 8, 6);
    expect(current.saveRate).toBeCloseTo(2 / 8, 6);
    expect(current.notInterestedRate).toBeCloseTo(1 / 8, 6);
    expect(current.coverage).toBeCloseTo((5 / 10 + 2 / 10) / 2, 6); // Dec 9: 5 of 10 items, Dec 10: 2 of 10
    // Latencies come from 10 ms histogram buckets: the bucket's middle.
    expect(current.latencyP50).toBe(805);
    expect(current.latencyP95).toBe(1205);
    expect(previous.cards).toBe(5);
    expect(previous.positiveRate).toBe(0);
    expect(previous.latencyP50).toBe(2050); // above 2 s buckets are 5 % wide

    const dec9 = data.daily.find((d) => d.day === "2026-12-09")!;
    expect(dec9.positiveRate).toBeCloseTo(0.125, 6);
    expect(data.daily.find((d) => d.day === "2026-12-01")!.positiveRate).toBeNull(); // a day without cards is a gap
    expect(data.positiveByVersion.find((p) => p.day === "2026-12-10")).toMatchObject({ v1: null, v2: 0.5 });
    expect(data.versions.map((v) => [v.name, v.rates.cards, v.hr1, v.status])).toEqual([
      ["v1", 6, null, null],
      ["v2", 2, 0.4567, "candidate"],
    ]);
  });

  test("past days are stored once computed; a reaction to an old card makes its day be computed again", async () => {
    await insights(t.db, {}, now);
    const stored = await t.db.dailyMetric.findMany({ where: { day: "2026-12-09" }, orderBy: { modelVersion: "asc" } });
    expect(stored.map((r) => [r.modelVersion, r.cards, r.users, r.thumbsUp])).toEqual([["v1", 6, 2, 1]]);
    expect(await t.db.dailyMetric.count({ where: { day: "2026-12-10" } })).toBe(0); // today is computed live, never stored
    expect(await t.db.dailyMetric.count({ where: { day: "2026-12-01", modelVersion: "" } })).toBe(1); // an empty day is remembered

    // Bob's second Dec 9 card gets a thumbs up through the app's own toggle: the day is recomputed.
    const bob = (await t.db.conversation.findFirstOrThrow({ where: { messages: { some: { id: `${kind}-a1` } } } })).userId;
    const card = await t.db.recommendation.findFirstOrThrow({ where: { messageId: `${kind}-a1`, rank: 2 } });
    await toggleFeedback(t.db, { userId: bob, recommendationId: card.id, kind: "thumbs_up" });
    expect(await t.db.dailyMetric.count({ where: { day: "2026-12-09" } })).toBe(0);
    const data = await insights(t.db, {}, new Date("2026-12-10T12:00:00Z"));
    expect(data.daily.find((d) => d.day === "2026-12-09")!.positiveRate).toBeCloseTo((1 / 4 + 1 / 2) / 2, 6);
    expect((await t.db.dailyMetric.findFirstOrThrow({ where: { day: "2026-12-09" } })).thumbsUp).toBe(2);
  });

  test("an empty range has no cards and no rates", async () => {
    const data = await insights(t.db, { from: "2025-01-01", to: "2025-01-31" }, now);
    expect(data.stats.current).toMatchObject({ cards: 0, positiveRate: null, latencyP50: null });
    expect(data.daily).toHaveLength(31);
  });
});

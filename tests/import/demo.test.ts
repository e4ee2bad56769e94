import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDemoCatalog } from "@/server/import/demo";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

// The shipped demo catalog, loaded as on first start. The one slow test of tests/import
// (10,000 books and 111,426 interactions: a few seconds).
describe("demo catalog (goodbooks-10k)", () => {
  let t: TestDatabase;
  beforeAll(async () => (t = await createTestDatabase("sqlite")));
  afterAll(() => t.cleanup());

  it("loads on first start, with genres and without cover URLs", { timeout: 120_000 }, async () => {
    const progress: number[] = [];
    expect(await ensureDemoCatalog(t.db, { onProgress: (p) => progress.push(p.done) })).toBe(true);
    expect(progress.length).toBeGreaterThan(3);

    expect(await t.db.item.count({ where: { catalog: "goodbooks" } })).toBe(10_000);
    expect(await t.db.interaction.count({ where: { kind: "rating" } })).toBe(10_258);
    expect(await t.db.interaction.count({ where: { kind: "to_read" } })).toBe(101_168);
    expect(await t.db.item.count({ where: { genres: null } })).toBeLessThan(50);

    const hobbit = await t.db.item.findUniqueOrThrow({ where: { catalog_externalId: { catalog: "goodbooks", externalId: "7" } } });
    expect(hobbit).toMatchObject({ title: "The Hobbit", creators: "J.R.R. Tolkien", year: 1937 });
    expect(hobbit.genres).toContain("|fantasy|");
    expect(hobbit.metadata).toMatchObject({ language_code: "en-US", isbn: "0618260307" });

    const all = await t.db.item.findMany({ select: { metadata: true } });
    const urls = all.filter((item) => /gr-assets|_url"/.test(JSON.stringify(item.metadata))).length;
    expect(urls).toBe(0);

    // Row order is time order: the first and the last rating.
    const [first, last] = await Promise.all([
      t.db.interaction.findFirstOrThrow({ where: { kind: "rating" }, orderBy: { at: "asc" } }),
      t.db.interaction.findFirstOrThrow({ where: { kind: "rating" }, orderBy: { at: "desc" } }),
    ]);
    expect(first.at.toISOString()).toBe("2017-01-01T00:00:00.000Z");
    expect(last.at.toISOString()).toBe(new Date(Date.UTC(2017, 0, 1) + 10_257_000).toISOString());
  });

  it("is not loaded twice", async () => {
    const before = await t.db.interaction.count();
    expect(await ensureDemoCatalog(t.db)).toBe(false);
    expect(await t.db.interaction.count()).toBe(before);
  });
});

import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { importFiles } from "@/server/import/import";
import { ImportError } from "@/server/import/errors";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";
import { counts, fixture, snapshot } from "./helpers";

// The importer against real databases: the same cases on the embedded SQLite and on PostgreSQL
// (a throw-away server from tests/setup), since the bulk insert writes SQL of its own per database.
describe.each(["sqlite", "postgresql"] as const)("importFiles on %s", (kind) => {
  let t: TestDatabase;
  beforeEach(async () => (t = await createTestDatabase(kind)));
  afterEach(() => t.cleanup());

  it("imports MovieLens-100K and reads the rows back through Prisma", async () => {
    const report = await importFiles(t.db, [fixture("ml-100k/u.data"), fixture("ml-100k/u.item")]);
    expect(report).toMatchObject({ catalog: "movielens", usersCreated: 4, changed: true });
    // Items first, whatever the order given.
    expect(report.files.map((f) => [f.kind, f.rows, f.inserted])).toEqual([["items", 6, 6], ["interactions", 10, 10]]);

    const suspects = await t.db.item.findUniqueOrThrow({ where: { catalog_externalId: { catalog: "movielens", externalId: "12" } } });
    expect(suspects).toMatchObject({ title: "The Usual Suspects", year: 1995, genres: "|crime|thriller|", creators: null });
    const user = await t.db.user.findUniqueOrThrow({ where: { externalId: "movielens:22" }, include: { interactions: { orderBy: { at: "asc" } } } });
    const sha = createHash("sha256").update(await readFile(fixture("ml-100k/u.data"))).digest("hex");
    expect(user.interactions.map((i) => [i.kind, i.value, i.at.toISOString(), i.source])).toEqual([
      ["rating", 3, "1997-11-07T07:18:36.000Z", `import:${sha.slice(0, 12)}`],
      ["rating", 5, "1997-11-07T07:18:37.000Z", `import:${sha.slice(0, 12)}`],
      ["rating", 4, "1997-11-07T07:18:38.000Z", `import:${sha.slice(0, 12)}`],
    ]);
    // Rows written by the bulk insert compare and sort like rows written by Prisma.
    await t.db.interaction.create({ data: { userId: user.id, itemId: suspects.id, kind: "view", at: new Date("1997-11-07T07:18:36.500Z"), source: "test" } });
    const ordered = await t.db.interaction.findMany({ where: { userId: user.id }, orderBy: { at: "asc" }, select: { kind: true } });
    expect(ordered.map((i) => i.kind)).toEqual(["rating", "view", "rating", "rating"]);
    expect(await t.db.interaction.count({ where: { at: { gte: new Date("1997-11-07T07:18:37.000Z") } , userId: user.id } })).toBe(2);
  });

  it("re-importing the same files changes nothing, and says so", async () => {
    const files = [fixture("ml-100k/u.item"), fixture("ml-100k/u.data")];
    await importFiles(t.db, files);
    const before = await snapshot(t.db);
    const again = await importFiles(t.db, files);
    expect(again.changed).toBe(false);
    expect(again.usersCreated).toBe(0);
    expect(again.files.map((f) => [f.inserted, f.updated, f.unchanged])).toEqual([[0, 0, 6], [0, 0, 10]]);
    expect(again.files.every((f) => f.importedBefore instanceof Date)).toBe(true);
    expect(await snapshot(t.db)).toBe(before);
  });

  it("rolls everything back when a later file is bad: the new items of the same import too", async () => {
    await importFiles(t.db, [fixture("generic/items.csv")], { catalog: "shop" });
    const before = await snapshot(t.db);
    // u.item's six movies are written first, then the interactions name items the catalog lacks.
    const error = await importFiles(t.db, [fixture("ml-100k/u.item"), fixture("generic/interactions.csv")], { catalog: "fresh" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect(error).toMatchObject({ file: fixture("generic/interactions.csv"), line: 2 });
    expect((error as ImportError).reason).toMatch(/^unknown item "sku-1" \(not in catalog "fresh"/);
    expect(await snapshot(t.db)).toBe(before);
  });

  it("imports generic CSV and JSONL into a named catalog", async () => {
    const report = await importFiles(
      t.db,
      ["items.csv", "interactions.csv", "items.jsonl", "interactions.jsonl"].map((name) => fixture(`generic/${name}`)),
      { catalog: "shop" },
    );
    expect(report.files.map((f) => f.inserted)).toEqual([3, 3, 5, 3]);
    const kettle = await t.db.item.findUniqueOrThrow({ where: { catalog_externalId: { catalog: "shop", externalId: "sku-1" } } });
    expect(kettle.metadata).toEqual({ publisher: "Acme", price: 12.5 });
    const byKind = await t.db.interaction.groupBy({ by: ["kind"], _count: true });
    expect(Object.fromEntries(byKind.map((g) => [g.kind, g._count]))).toEqual({ rating: 4, view: 2, to_read: 1, save: 1 });
    expect(await t.db.user.count({ where: { externalId: { startsWith: "shop:" } } })).toBe(5); // u1-u3, reader-1, 42
  });
});

describe("importFiles on sqlite: more formats and rules", () => {
  let t: TestDatabase;
  beforeEach(async () => (t = await createTestDatabase("sqlite")));
  afterEach(() => t.cleanup());

  it("MovieLens latest goes into its own catalog", async () => {
    const report = await importFiles(t.db, [fixture("ml-latest/ratings.csv"), fixture("ml-latest/movies.csv")]);
    expect(report.catalog).toBe("movielens-latest");
    expect(await counts(t.db)).toEqual({ items: 5, users: 3, interactions: 6, runs: 2 });
  });

  it("MovieLens-1M goes into its own catalog", async () => {
    const report = await importFiles(t.db, [fixture("ml-1m/ratings.dat"), fixture("ml-1m/movies.dat")]);
    expect(report.catalog).toBe("movielens-1m");
    expect(await counts(t.db)).toEqual({ items: 4, users: 2, interactions: 4, runs: 2 });
  });

  it("generic files may name their columns the way other tools export them", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "reco-aliases-"));
    try {
      const items = path.join(dir, "products.csv");
      const events = path.join(dir, "events.csv");
      const moreEvents = path.join(dir, "events.jsonl");
      // An items file with a "date" column is still an items file.
      await writeFile(items, "Item ID,Name,Author,Genre,date\nsku-1,Dune,Frank Herbert,science-fiction,1965-08-01\nsku-2,Emma,Jane Austen,classics,1815-12-23\n");
      await writeFile(events, "userId,product_id,created_at,stars\nu1,sku-1,1700000000,5\nu2,sku-2,2023-11-14T22:13:21Z,4\n");
      await writeFile(moreEvents, '{"customer_id":"u1","item_id":"sku-2","event_time":1700000100,"event_type":"save"}\n');
      const report = await importFiles(t.db, [events, moreEvents, items], { catalog: "shop" });
      expect(report.files.map((f) => [f.format, f.rows])).toEqual([["items CSV", 2], ["interactions CSV", 2], ["interactions JSONL", 1]]);
      const dune = await t.db.item.findUniqueOrThrow({ where: { catalog_externalId: { catalog: "shop", externalId: "sku-1" } } });
      expect(dune).toMatchObject({ title: "Dune", creators: "Frank Herbert", genres: "|science-fiction|", metadata: { date: "1965-08-01" } });
      const stored = await t.db.interaction.findMany({ orderBy: { at: "asc" }, select: { kind: true, value: true, user: { select: { externalId: true } } } });
      expect(stored).toEqual([
        { kind: "rating", value: 5, user: { externalId: "shop:u1" } },
        { kind: "rating", value: 4, user: { externalId: "shop:u2" } },
        { kind: "save", value: null, user: { externalId: "shop:u1" } },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("goodbooks: books, ratings and to-read shelves; no image URLs stored", async () => {
    await importFiles(t.db, ["books.csv", "ratings.csv", "to_read.csv"].map((name) => fixture(`goodbooks/${name}`)));
    const books = await t.db.item.findMany({ where: { catalog: "goodbooks" } });
    expect(books).toHaveLength(3);
    expect(JSON.stringify(books)).not.toMatch(/image|gr-assets/);
    expect(await t.db.interaction.count({ where: { kind: "to_read" } })).toBe(2);
  });

  it("exact repeats are skipped and counted; a changed row updates the stored one", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "reco-import-"));
    try {
      await importFiles(t.db, [fixture("generic/items.csv")], { catalog: "shop" });
      const events = path.join(dir, "events.csv");
      await writeFile(events, "user,item,timestamp,rating\nu1,sku-1,1700000000,4\nu1,sku-1,1700000000,4\nu2,sku-2,1700000001,2\n");
      const first = await importFiles(t.db, [events], { catalog: "shop" });
      expect(first.files[0]).toMatchObject({ rows: 3, inserted: 2, duplicates: 1 });

      // The same event with a corrected rating, and a renamed item: updated in place.
      await writeFile(events, "user,item,timestamp,rating\nu1,sku-1,1700000000,5\nu2,sku-2,1700000001,2\n");
      const items = path.join(dir, "items.csv");
      await writeFile(items, 'id,title,year,creators,genres,publisher,metadata\nsku-1,Blue Kettle (1.5 l),2020,Ann Smith; Bo Lee,Kitchen|Tea,Acme,"{""price"": 12.5}"\n');
      const second = await importFiles(t.db, [items, events], { catalog: "shop" });
      expect(second.files.map((f) => [f.inserted, f.updated, f.unchanged])).toEqual([[0, 1, 0], [0, 1, 1]]);
      const kettle = await t.db.item.findFirstOrThrow({ where: { externalId: "sku-1" }, include: { interactions: true } });
      expect(kettle.title).toBe("Blue Kettle (1.5 l)");
      expect(kettle.interactions.map((i) => i.value)).toEqual([5]);
      expect(await t.db.interaction.count()).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a dry run counts what an import would do and writes nothing", async () => {
    const before = await snapshot(t.db);
    const report = await importFiles(t.db, [fixture("ml-100k/u.item"), fixture("ml-100k/u.data")], { dryRun: true });
    expect(report).toMatchObject({ dryRun: true, changed: true, usersCreated: 4 });
    expect(report.files.map((f) => f.inserted)).toEqual([6, 10]);
    expect(await snapshot(t.db)).toBe(before);
    await expect(importFiles(t.db, [fixture("generic/interactions.csv")], { catalog: "none", dryRun: true })).rejects.toThrow(/line 2: unknown item "sku-1"/);
  });

  it("reports progress per file up to its line count", async () => {
    const seen: [string, number, number][] = [];
    await importFiles(t.db, [fixture("ml-100k/u.item"), fixture("ml-100k/u.data")], { onProgress: (p) => seen.push([p.file, p.done, p.total]) });
    expect(seen.at(-1)).toEqual([fixture("ml-100k/u.data"), 10, 10]);
    expect(seen.filter(([file]) => file.endsWith("u.item")).at(-1)).toEqual([fixture("ml-100k/u.item"), 6, 6]);
  });
});

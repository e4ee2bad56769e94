import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImportError } from "@/server/import/errors";
import { importFiles, maxImportFileBytes } from "@/server/import/import";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";
import { fixture, snapshot } from "./helpers";

/**
 * Every bad input is refused with the file, the line and the reason, and leaves the database
 * exactly as it was — here a database that already holds a valid import.
 *
 * Duplicates: an exact repeat of a row is the same event twice and is skipped (counted as a
 * repeat, tests/import/import.test.ts); two rows with the same key but different values are
 * ambiguous and refused (below).
 */
interface Case {
  name: string;
  /** File name → content; the first file is the one expected in the error unless `file` says. */
  files: Record<string, string | Buffer>;
  file?: string;
  line: number | null;
  reason: RegExp;
  catalog?: string | null;
}

const events = (rows: string[]) => ["user,item,timestamp,rating", ...rows].join("\n") + "\n";
// More rows than one write batch (4,000), so rows are already written when the bad one comes.
const manyGood = Array.from({ length: 4100 }, (_, i) => `bulk${i % 50},sku-${(i % 3) + 1},${1600000000 + i},4`);

const CASES: Case[] = [
  { name: "missing column", files: { "e.csv": "user,item,rating\nu1,sku-1,5\n" }, line: 1, reason: /^missing column "timestamp" \(or time, ts, date, datetime, created_at, event_time, occurred_at\) \(header: user,item,rating; expected user, item, timestamp\)$/ },
  { name: "missing columns of an items file", files: { "i.csv": "id,label\n1,x\n" }, line: 1, reason: /^missing column "title" \(or name, item_name, product_name\) \(header: id,label; expected id, title\)$/ },
  { name: "two columns meaning the same thing", files: { "e.csv": "user,user_id,item,timestamp\nu1,u1,sku-1,1700000000\n" }, line: 1, reason: /^columns "user" and "user_id" both mean "user": keep one$/ },
  { name: "two JSON keys meaning the same thing", files: { "e.jsonl": '{"user":"u1","item":"sku-1","item_id":"sku-2","timestamp":1700000000}\n' }, line: 1, reason: /^keys "item" and "item_id" both mean "item": keep one$/ },
  { name: "NUL in a title", files: { "i.csv": "id,title\nx1,Dune\u0000Messiah\n" }, line: 2, reason: /^control character U\+0000 \(NUL\) at column 8: text must not contain control characters other than tab \(is this a binary file\?\)$/ },
  { name: "escape character in a JSON line", files: { "i.jsonl": '{"id":"x1","title":"One"}\n{"id":"x2","title":"Two\u001b[31m"}\n' }, line: 2, reason: /^control character U\+001B \(ESC\) at column 24/ },
  { name: "carriage return inside a line", files: { "e.csv": "user,item,timestamp\nu1,sku-1\r,1700000000\n" }, line: 2, reason: /^control character U\+000D \(carriage return\) at column 9/ },
  { name: "UTF-16 with a byte-order mark", files: { "i.csv": Buffer.from("\ufeffid,title\nx1,One\n", "utf16le") }, line: null, reason: /^the file is UTF-16 encoded \(it starts with a UTF-16 byte-order mark\); save it as UTF-8$/ },
  { name: "UTF-16 without a byte-order mark", files: { "i.csv": Buffer.from("id,title\nx1,One\n", "utf16le") }, line: null, reason: /^the file looks UTF-16 encoded/ },
  { name: "gzip-compressed file", files: { "e.csv": gzipSync(events(["u1,sku-1,1700000000,4"])) }, line: null, reason: /^the file is gzip-compressed; decompress it first/ },
  { name: "a spreadsheet (ZIP archive)", files: { "items.csv": Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), Buffer.alloc(64, 0x9c)]) }, line: null, reason: /^the file is a ZIP archive/ },
  { name: "wrong type: text rating", files: { "e.csv": events(["u1,sku-1,1700000000,4", "u1,sku-2,1700000001,five"]) }, line: 3, reason: /^rating: expected a number, got "five"$/ },
  { name: "wrong type: JSON timestamp", files: { "e.jsonl": '{"user":"u1","item":"sku-1","timestamp":true}\n' }, line: 1, reason: /^timestamp: expected unix seconds or an ISO 8601 date, got true$/ },
  { name: "wrong type: JSON title", files: { "i.jsonl": '{"id":"x1","title":"ok"}\n{"id":"x2","title":42}\n' }, line: 2, reason: /^title: expected a title \(string\), got 42$/ },
  { name: "wrong type: year", files: { "i.csv": "id,title,year\nx1,One,19x5\n" }, line: 2, reason: /^year: expected a year, got "19x5"$/ },
  { name: "timestamp in milliseconds", files: { "e.csv": events(["u1,sku-1,1700000000000,4"]) }, line: 2, reason: /^timestamp: 1700000000000 is after the year 2200: expected unix seconds, not milliseconds$/ },
  { name: "unknown kind", files: { "e.csv": "user,item,timestamp,kind\nu1,sku-1,1700000000,purchase\n" }, line: 2, reason: /^kind: expected one of rating, view, to_read/ },
  { name: "rating on a non-rating kind", files: { "e.csv": "user,item,timestamp,rating,kind\nu1,sku-1,1700000000,3,view\n" }, line: 2, reason: /^rating: is only allowed with kind "rating" \(kind is "view"\)$/ },
  { name: "empty id", files: { "e.csv": events(["  ,sku-1,1700000000,4"]) }, line: 2, reason: /^user: is empty$/ },
  { name: "unknown item", files: { "e.csv": events(["u1,sku-1,1700000000,4", "u1,nope,1700000001,4"]) }, line: 3, reason: /^unknown item "nope" \(not in catalog "shop"/ },
  { name: "unknown item after a written batch", files: { "e.csv": events([...manyGood, "u1,nope,1700000001,4"]) }, line: 4102, reason: /^unknown item "nope"/ },
  { name: "duplicate row with a different rating", files: { "e.csv": events(["u9,sku-1,1700000000,4", "u9,sku-2,1700000000,4", "u9,sku-1,1700000000,5"]) }, line: 4, reason: /^user "u9" has a second rating of item "sku-1" at 2023-11-14T22:13:20.000Z with a different value \(5 here, 4 at line 2\)$/ },
  { name: "duplicate item id with different values, across files", files: { "a.csv": "id,title\nn1,One\n", "b.csv": "id,title\nn2,Other\nn1,Two\n" }, file: "b.csv", line: 3, reason: /^item id "n1" appears again with different values \(first at .*a\.csv, line 2\)$/ },
  { name: "empty file", files: { "e.csv": "" }, line: null, reason: /^file is empty$/ },
  { name: "blank lines only", files: { "e.jsonl": "\n  \n\n" }, line: null, reason: /^file is empty$/ },
  { name: "header only", files: { "e.csv": "user,item,timestamp\n" }, line: null, reason: /^no rows after the header line$/ },
  { name: "wrong encoding: latin-1 bytes in a UTF-8 file", files: { "i.csv": Buffer.concat([Buffer.from("id,title\nx1,Cafe\nx2,Caf"), Buffer.from([0xe9]), Buffer.from("\n")]) }, line: 3, reason: /^invalid UTF-8/ },
  { name: "huge line", files: { "i.csv": `id,title\nx1,One\nx2,${"y".repeat(1_100_000)}\n` }, line: 3, reason: /^line is longer than 1048576 bytes/ },
  { name: "malformed JSON line", files: { "i.jsonl": '{"id":"x1","title":"One"}\n{"id":"x2","title": }\n' }, line: 2, reason: /^not valid JSON \(/ },
  { name: "JSON line that is not an object", files: { "i.jsonl": '{"id":"x1","title":"One"}\n["x2","Two"]\n' }, line: 2, reason: /^expected a JSON object on each line$/ },
  { name: "extra field in a CSV row", files: { "i.csv": "id,title\nx1,One\nx2,Two,extra\n" }, line: 3, reason: /^expected 2 fields \(id,title\), found 3$/ },
  { name: "unclosed quote", files: { "i.csv": 'id,title\nx1,"One\nx2,Two\n' }, line: 3 /* csv-parse counts the line where it gave up */, reason: /^not valid CSV: Quote Not Closed/ },
  { name: "metadata column that is not JSON", files: { "i.csv": "id,title,metadata\nx1,One,{price: 3}\n" }, line: 2, reason: /^metadata: not valid JSON/ },
  { name: "metadata that is not an object", files: { "i.jsonl": '{"id":"x1","title":"One","metadata":[1,2]}\n' }, line: 1, reason: /^metadata: expected a JSON object, got \[1,2\]$/ },
  { name: "u.data with a missing field", files: { "u.data": "1\t1\t5\t881250949\n2\t1\t881250950\n", "u.item": "1|Toy Story (1995)|01-Jan-1995||url|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n" }, line: 2, reason: /^expected 4 tab-separated fields \(user, item, rating, timestamp\), found 3$/, catalog: null },
  { name: "u.item with a bad genre flag", files: { "u.item": "1|Toy Story (1995)|01-Jan-1995||url|0|0|x|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n" }, line: 1, reason: /^genre flag 3 must be 0 or 1, got "x"$/, catalog: null },
  { name: "goodbooks book with a non-numeric rating", files: { "books.csv": "book_id,title,authors,original_publication_year,average_rating\n1,A,X,2001.0,4.1\n2,B,Y,2002.0,n/a\n" }, line: 3, reason: /^average_rating: expected a number, got "n\/a"$/, catalog: null },
  { name: "generic file without a catalog", files: { "e.csv": events(["u1,sku-1,1700000000,4"]) }, line: null, reason: /needs a catalog name: pass --catalog/, catalog: null },
];

describe("bad input is refused and nothing is written (SQLite)", () => {
  let t: TestDatabase;
  let dir: string;
  let before: string;
  beforeAll(async () => {
    t = await createTestDatabase("sqlite");
    dir = await mkdtemp(path.join(os.tmpdir(), "reco-bad-input-"));
    await importFiles(t.db, [fixture("generic/items.csv"), fixture("generic/interactions.csv")], { catalog: "shop" });
    before = await snapshot(t.db);
  });
  afterAll(async () => {
    await t.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(CASES)("$name", async ({ name, files, file, line, reason, catalog }) => {
    const caseDir = await mkdtemp(path.join(dir, name.replace(/\W+/g, "-")));
    const paths = [];
    for (const [fileName, content] of Object.entries(files)) {
      paths.push(path.join(caseDir, fileName));
      await writeFile(paths.at(-1)!, content);
    }
    const error = await importFiles(t.db, paths, { catalog: catalog === null ? undefined : (catalog ?? "shop") }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImportError);
    const { file: named, line: at, reason: why, message } = error as ImportError;
    expect(named).toBe(path.join(caseDir, file ?? Object.keys(files)[0]!));
    expect(at).toBe(line);
    expect(why).toMatch(reason);
    expect(message).toContain(named);
    if (line !== null) expect(message).toContain(`line ${line}`);
    // The problem in words: no raw bytes, no control characters echoed back.
    // eslint-disable-next-line no-control-regex
    expect(message).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\uFFFD]/);
    expect(await snapshot(t.db)).toBe(before);
  });

  it("lists every bad row of a file in one error", async () => {
    const file = path.join(dir, "several.csv");
    await writeFile(file, events(["u1,sku-1,1700000000,4", "u1,sku-2,1700000001,five", "u1,sku-3,1700000002,4", "u1,nope,1700000003,4", "u1,sku-1", "u2,sku-1,1700000005,3"]));
    const error = (await importFiles(t.db, [file], { catalog: "shop" }).catch((e: unknown) => e)) as ImportError;
    expect(error).toBeInstanceOf(ImportError);
    expect([error.line, error.reason]).toEqual([3, 'rating: expected a number, got "five"']);
    expect(error.more).toEqual([
      { line: 5, reason: expect.stringMatching(/^unknown item "nope"/) },
      { line: 6, reason: "expected 4 fields (user,item,timestamp,rating), found 2" },
    ]);
    expect(error.message.split("\n")).toEqual([
      `${file}, line 3: rating: expected a number, got "five"`,
      expect.stringMatching(/^  line 5: unknown item "nope"/),
      "  line 6: expected 4 fields (user,item,timestamp,rating), found 2",
    ]);
    expect(await snapshot(t.db)).toBe(before);
  });

  it("lists the first 20 bad rows and counts the rest", async () => {
    const file = path.join(dir, "many.jsonl");
    await writeFile(file, Array.from({ length: 30 }, (_, i) => `{"id":"x${i}","title":${i}}`).join("\n") + "\n");
    const error = (await importFiles(t.db, [file], { catalog: "shop" }).catch((e: unknown) => e)) as ImportError;
    expect(error.line).toBe(1);
    expect(error.more.map((problem) => problem.line)).toEqual(Array.from({ length: 19 }, (_, i) => i + 2));
    expect(error.moreCount).toBe(29);
    expect(error.message).toMatch(/\n  line 20: title: expected a title \(string\), got 19\n  … and 10 more bad rows$/);
    expect(await snapshot(t.db)).toBe(before);
  });

  it("a file over the size limit is refused before it is read", async () => {
    const file = path.join(dir, "big.csv");
    await writeFile(file, events(["u1,sku-1,1700000000,4"]));
    const error = await importFiles(t.db, [file], { catalog: "shop", maxFileBytes: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).reason).toMatch(/^file is \d+ bytes, over the 10 bytes limit \(RECO_IMPORT_MAX_BYTES\): split it by time/);
    expect(await snapshot(t.db)).toBe(before);
    expect(maxImportFileBytes({})).toBe(2 * 1024 ** 3);
    expect(maxImportFileBytes({ RECO_IMPORT_MAX_BYTES: "1000" })).toBe(1000);
    expect(() => maxImportFileBytes({ RECO_IMPORT_MAX_BYTES: "1e3.5" })).toThrow(/RECO_IMPORT_MAX_BYTES/);
  });

  it("a missing file is named", async () => {
    const missing = path.join(dir, "nope.csv");
    await expect(importFiles(t.db, [missing], { catalog: "shop" })).rejects.toMatchObject({ file: missing, reason: "no such file" });
    expect(await snapshot(t.db)).toBe(before);
  });
});

describe("rollback on PostgreSQL", () => {
  it("a bad row after a written batch leaves the database as it was", async () => {
    const t = await createTestDatabase("postgresql");
    const dir = await mkdtemp(path.join(os.tmpdir(), "reco-bad-input-pg-"));
    try {
      await importFiles(t.db, [fixture("generic/items.csv"), fixture("generic/interactions.csv")], { catalog: "shop" });
      const before = await snapshot(t.db);
      const file = path.join(dir, "e.csv");
      await writeFile(file, events([...manyGood, "u1,sku-1,1600000001,five"]));
      await expect(importFiles(t.db, [file], { catalog: "shop" })).rejects.toMatchObject({ file, line: 4102, reason: 'rating: expected a number, got "five"' });
      expect(await snapshot(t.db)).toBe(before);
    } finally {
      await t.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

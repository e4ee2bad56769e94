import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImportError, RowProblems } from "@/server/import/errors";
import { detectFormat } from "@/server/import/formats";
import { movieTitle } from "@/server/import/formats/movielens";
import { readLines } from "@/server/import/lines";
import { genreField, Timestamp, type InteractionRow, type ItemRow } from "@/server/import/rows";

// Reading and validating files needs no database: these run in milliseconds.
const FIXTURES = path.resolve("tests/fixtures/import");
let dir: string;
beforeAll(async () => (dir = await mkdtemp(path.join(os.tmpdir(), "reco-import-parse-"))));
afterAll(() => rm(dir, { recursive: true, force: true }));

async function read(file: string) {
  const format = await detectFormat(file, file);
  const rows: (ItemRow | InteractionRow)[] = [];
  const problems = new RowProblems(file);
  for await (const row of format.rows(file, file, problems)) rows.push(row);
  problems.throwIfAny();
  return { format, rows };
}
async function items(file: string) {
  const { format, rows } = await read(file);
  expect(format.kind).toBe("items");
  return { format, rows: rows as ItemRow[] };
}
async function events(file: string) {
  const { format, rows } = await read(file);
  expect(format.kind).toBe("interactions");
  return { format, rows: rows as InteractionRow[] };
}

async function temp(name: string, content: string | Buffer) {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

describe("readLines", () => {
  it("strips a BOM and CRLF line ends, numbers lines from 1, keeps a last line without newline", async () => {
    const file = await temp("bom.csv", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("a,b\r\n1,2\r\n\r\n3,4")]));
    const lines = [];
    for await (const line of readLines(file, "bom.csv")) lines.push(line);
    expect(lines).toEqual([
      { no: 1, text: "a,b" },
      { no: 2, text: "1,2" },
      { no: 3, text: "" },
      { no: 4, text: "3,4" },
    ]);
  });

  it("rejects invalid UTF-8 naming the line, and reads the same bytes as latin-1 when allowed", async () => {
    const file = await temp("latin1.txt", Buffer.concat([Buffer.from("ok\nCaf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    const read = async (encoding: "utf8" | "utf8-or-latin1") => {
      const out = [];
      for await (const line of readLines(file, "latin1.txt", encoding)) out.push(line.text);
      return out;
    };
    await expect(read("utf8")).rejects.toThrow(/latin1\.txt, line 2: invalid UTF-8/);
    expect(await read("utf8-or-latin1")).toEqual(["ok", "Café"]);
  });

  it("caps the line length", async () => {
    const file = await temp("long.txt", "short\n" + "x".repeat(2000) + "\nshort\n");
    const read = async () => {
      for await (const _ of readLines(file, "long.txt", "utf8", 1000));
    };
    await expect(read()).rejects.toThrow("long.txt, line 2: line is longer than 1000 bytes");
  });
});

describe("field rules", () => {
  it.each([
    [881250949, "1997-12-04T15:55:49.000Z"],
    ["881250949", "1997-12-04T15:55:49.000Z"],
    ["2023-11-14T22:13:21Z", "2023-11-14T22:13:21.000Z"],
    ["2024-01-02T10:00:00+02:00", "2024-01-02T08:00:00.000Z"],
    ["2023-11-15", "2023-11-15T00:00:00.000Z"],
    ["2023-11-15 08:00", "2023-11-15T08:00:00.000Z"], // no zone: UTC, on every machine
  ])("timestamp %s → %s", (input, iso) => expect(Timestamp.parse(input).toISOString()).toBe(iso));

  it.each([["1700000000000"], ["2021-02-30"], ["yesterday"], ["-5"]])("timestamp %s is rejected", (input) => {
    expect(Timestamp.safeParse(input).success).toBe(false);
  });

  it("movie titles: year split off, trailing article moved to the front", () => {
    expect(movieTitle("Usual Suspects, The (1995)")).toEqual({ title: "The Usual Suspects", year: 1995 });
    expect(movieTitle("Black Mirror")).toEqual({ title: "Black Mirror", year: null });
    expect(movieTitle("City of Lost Children, The (Cité des enfants perdus, La) (1995)").year).toBe(1995);
  });

  it("genres are lower-case dashed tags between pipes", () => {
    expect(genreField(["Science Fiction", "Children's", "fantasy", "Fantasy", " "])).toBe("|science-fiction|childrens|fantasy|");
    expect(genreField([])).toBeNull();
  });
});

describe("formats", () => {
  it("MovieLens-100K u.item: latin-1, genre flags, titles and years", async () => {
    const { format, rows: movies } = await items(path.join(FIXTURES, "ml-100k/u.item"));
    expect(format).toMatchObject({ name: "MovieLens-100K items", kind: "items", catalog: "movielens" });
    expect(movies).toHaveLength(6);
    expect(movies[0]).toMatchObject({ externalId: "1", title: "Toy Story", year: 1995, genres: "|animation|children|comedy|" });
    expect(movies[2]).toMatchObject({ title: "The Usual Suspects", genres: "|crime|thriller|" });
    expect(movies[3]!.genres).toBe("|action|adventure|romance|science-fiction|war|");
    expect(movies[4]).toMatchObject({ externalId: "267", title: "unknown", year: null, genres: null });
    expect(movies[5]).toMatchObject({ title: "Misérables, Les", metadata: { original_title: "Misérables, Les (1995)" } });
  });

  it("MovieLens-100K u.data: tab-separated, tolerates the trailing tab", async () => {
    const { format, rows: ratings } = await events(path.join(FIXTURES, "ml-100k/u.data"));
    expect(format.kind).toBe("interactions");
    expect(ratings).toHaveLength(10);
    expect(ratings[3]).toMatchObject({ line: 4, user: "22", item: "12", kind: "rating", value: 5 });
    expect(ratings[0]!.at.toISOString()).toBe("1997-12-04T15:55:49.000Z");
  });

  it("MovieLens-1M: '::'-separated, latin-1 titles", async () => {
    const movies = await items(path.join(FIXTURES, "ml-1m/movies.dat"));
    expect(movies.format.catalog).toBe("movielens-1m");
    expect(movies.rows[1]).toMatchObject({ externalId: "661", title: "James and the Giant Peach", year: 1996, genres: "|animation|children|musical|" });
    expect(movies.rows[3]).toMatchObject({ title: "Amélie (Fabuleux destin d'Amélie Poulain, Le)", year: 2001 });
    const ratings = await events(path.join(FIXTURES, "ml-1m/ratings.dat"));
    expect(ratings.rows[3]).toMatchObject({ line: 4, user: "2", item: "3408", value: 4 });
    expect(ratings.rows[0]!.at.toISOString()).toBe("2000-12-31T22:12:40.000Z"); // 978300760
  });

  it("MovieLens latest: movies.csv and ratings.csv", async () => {
    const movies = await items(path.join(FIXTURES, "ml-latest/movies.csv"));
    expect(movies.format.catalog).toBe("movielens-latest");
    expect(movies.rows[0]).toMatchObject({ title: "Toy Story", genres: "|adventure|animation|children|comedy|fantasy|" });
    expect(movies.rows[3]!.genres).toBe("|action|adventure|science-fiction|");
    expect(movies.rows[4]).toMatchObject({ title: "Black Mirror", genres: null, year: null });
    const ratings = await events(path.join(FIXTURES, "ml-latest/ratings.csv"));
    expect(ratings.rows[3]).toMatchObject({ user: "2", item: "2", value: 3.5, line: 5 });
  });

  it("goodbooks: image URLs never reach metadata; time is the row order", async () => {
    const books = await items(path.join(FIXTURES, "goodbooks/books.csv"));
    expect(books.rows[1]).toMatchObject({ title: "Harry Potter and the Sorcerer's Stone (Harry Potter, #1)", year: 1997, creators: "J.K. Rowling; Mary GrandPré" });
    for (const book of books.rows) {
      expect(Object.keys(book.metadata).filter((key) => key.includes("url"))).toEqual([]);
      expect(JSON.stringify(book.metadata)).not.toContain("gr-assets");
    }
    expect(books.rows[0]!.metadata).toMatchObject({ average_rating: 4.34, ratings_count: 4780653, isbn: "439023483", language_code: "eng" });
    const ratings = await events(path.join(FIXTURES, "goodbooks/ratings.csv"));
    expect(ratings.rows.map((r) => r.at.toISOString())).toEqual([
      "2017-01-01T00:00:00.000Z", "2017-01-01T00:00:01.000Z", "2017-01-01T00:00:02.000Z", "2017-01-01T00:00:03.000Z",
    ]);
    const toRead = await events(path.join(FIXTURES, "goodbooks/to_read.csv"));
    expect(toRead.rows[1]).toMatchObject({ user: "1", item: "3", kind: "to_read", value: null });
  });

  it("generic CSV: extra columns and the metadata column merge into metadata; kind defaults", async () => {
    const catalog = await items(path.join(FIXTURES, "generic/items.csv"));
    expect(catalog.format.catalog).toBeNull();
    expect(catalog.rows[0]).toMatchObject({
      externalId: "sku-1", year: 2020, creators: "Ann Smith; Bo Lee", genres: "|kitchen|tea|", metadata: { publisher: "Acme", price: 12.5 },
    });
    expect(catalog.rows[1]).toMatchObject({ year: null, creators: null, metadata: { publisher: "Acme" } });
    const log = await events(path.join(FIXTURES, "generic/interactions.csv"));
    expect(log.rows.map((r) => [r.kind, r.value])).toEqual([["rating", 5], ["view", null], ["save", null], ["rating", 3.5], ["view", null]]);
  });

  it("generic JSONL: arrays, integer ids, blank lines", async () => {
    const catalog = await items(path.join(FIXTURES, "generic/items.jsonl"));
    expect(catalog.rows[0]).toMatchObject({ creators: "Ursula K. Le Guin", genres: "|science-fiction|classics|", metadata: { pages: 304, language: "en" } });
    expect(catalog.rows[2]).toMatchObject({ externalId: "3", title: "Kindred", year: null });
    const log = await events(path.join(FIXTURES, "generic/interactions.jsonl"));
    expect(log.rows).toHaveLength(3);
    expect(log.rows[1]).toMatchObject({ kind: "to_read", value: null });
    expect(log.rows[2]).toMatchObject({ user: "42", item: "3" });
  });

  it("MovieLens layouts are recognised by content when renamed", async () => {
    const data = await temp("ratings.tsv", "196\t242\t3\t881250949\n");
    expect((await detectFormat(data, "ratings.tsv")).name).toBe("MovieLens-100K ratings");
    const dat = await temp("r.txt", "1::1193::5::978300760\n");
    expect((await detectFormat(dat, "r.txt")).name).toBe("MovieLens-1M ratings");
    const tsvHeader = await temp("events.tsv", "user\titem\ttimestamp\trating\n");
    await expect(detectFormat(tsvHeader, "events.tsv")).rejects.toThrow(/unrecognised file/);
  });

  it("an unrecognised CSV names its header", async () => {
    const file = await temp("odd.csv", "foo,bar\n1,2\n");
    await expect(detectFormat(file, "odd.csv")).rejects.toThrow(ImportError);
    await expect(detectFormat(file, "odd.csv")).rejects.toThrow(/odd\.csv, line 1: unrecognised file \(header: foo,bar\)/);
  });
});

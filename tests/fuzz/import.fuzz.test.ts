import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImportError } from "@/server/import/errors";
import { importFiles } from "@/server/import/import";
import { fixture, snapshot } from "../import/helpers";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

/**
 * Property: whatever bytes an import file holds, importFiles either imports it or refuses it with
 * an ImportError, and a refused import leaves the database exactly as it was. Files are built
 * from valid rows, broken rows and raw noise (control characters, quotes, lone surrogates, stray
 * separators, binary bytes), so that both outcomes come up often.
 */
const noise = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom('"', '""', ",", "\n", "\r", "\t", "\u0000", "\u001b", "\uFEFF", "\uD800", "  ", "1e999", "-1", "NaN", "{}", "[]"),
);
const validRow = fc
  .tuple(fc.constantFrom("u1", "u2", "visitor-9"), fc.constantFrom("sku-1", "sku-2"), fc.integer({ min: 1_000_000_000, max: 1_900_000_000 }), fc.integer({ min: 1, max: 5 }))
  .map((fields) => fields.join(","));
const field = fc.oneof(fc.constantFrom("u1", "sku-1", "1700000000", "4", ""), fc.date().map((d) => (Number.isNaN(d.getTime()) ? "x" : d.toISOString())), noise);
const brokenRow = fc.array(field, { minLength: 1, maxLength: 6 }).map((fields) => fields.join(","));
// Mostly valid files, so that imports go through as often as they are refused.
const interactionsCsv = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.constantFrom("user,item,timestamp,rating", "user_id,item_id,created_at,stars", "User ID,Product ID,Event Time,Score"), weight: 6 },
      { arbitrary: fc.oneof(fc.constantFrom("user,item,rating", "user,user_id,item,timestamp"), noise), weight: 1 },
    ),
    fc.array(fc.oneof({ arbitrary: validRow, weight: 8 }, { arbitrary: brokenRow, weight: 1 }), { minLength: 1, maxLength: 8 }),
    fc.oneof({ arbitrary: fc.constant(""), weight: 6 }, { arbitrary: noise, weight: 1 }),
  )
  .map(([header, rows, tail]) => [header, ...rows].join("\n") + "\n" + tail);

const validItem = fc
  .record({ id: fc.stringMatching(/^[a-z0-9-]{1,8}$/), title: fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }).filter((t) => t.trim() !== ""), year: fc.integer({ min: 1000, max: 2100 }) })
  .map((r) => JSON.stringify(r));
const itemsJsonl = fc
  .array(fc.oneof({ arbitrary: validItem, weight: 8 }, { arbitrary: fc.oneof(fc.json({ maxDepth: 2 }), noise), weight: 1 }), { minLength: 1, maxLength: 6 })
  .map((lines) => lines.join("\n"));

const bytes = fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a));

describe("import fuzzing (SQLite)", () => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase("sqlite");
    dir = await mkdtemp(path.join(os.tmpdir(), "reco-fuzz-import-"));
    await importFiles(t.db, [fixture("generic/items.csv")], { catalog: "shop" });
  });
  afterAll(async () => {
    await t.cleanup();
    await rm(dir, { recursive: true, force: true });
  });


  it("imports or refuses with an ImportError; a refusal writes nothing", async () => {
    const seen = { imported: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          "events.csv": fc.oneof({ arbitrary: interactionsCsv, weight: 6 }, { arbitrary: bytes, weight: 1 }),
          "items.jsonl": fc.option(itemsJsonl, { nil: undefined, freq: 2 }),
        }),
        async (files) => {
          const caseDir = await mkdtemp(path.join(dir, "case-"));
          const paths: string[] = [];
          for (const [name, content] of Object.entries(files)) {
            if (content === undefined) continue;
            paths.push(path.join(caseDir, name));
            await writeFile(paths.at(-1)!, content);
          }
          const before = await snapshot(t.db);
          const outcome = await importFiles(t.db, paths, { catalog: "shop" }).then(
            (report) => ({ report }),
            (error: unknown) => ({ error }),
          );
          if ("error" in outcome) {
            seen.refused++;
            expect(outcome.error).toBeInstanceOf(ImportError);
            expect(await snapshot(t.db)).toBe(before);
          } else {
            seen.imported++;
            expect(outcome.report.files).toHaveLength(paths.length);
          }
        },
      ),
      { numRuns: 150, seed: 20261203 },
    );
    // Both outcomes came up (the generators are not degenerate).
    expect(seen.imported).toBeGreaterThan(5);
    expect(seen.refused).toBeGreaterThan(5);
  });
});

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";
import { fixture } from "./helpers";

const run = promisify(execFile);

// The command people type: `npm run import -- <files>` (tsx server/import/cli.ts).
describe("npm run import", () => {
  let t: TestDatabase;
  beforeAll(async () => (t = await createTestDatabase("sqlite")));
  afterAll(() => t.cleanup());

  const cli = (...args: string[]) =>
    // The Node running the tests (the project's Node 24), whatever `node` is first on PATH.
    run(process.execPath, ["--import", "tsx", "server/import/cli.ts", ...args], { env: { ...process.env, DATABASE_URL: t.url } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );

  it("imports, then says a repeated import changed nothing, and refuses a bad file with its line", { timeout: 60_000 }, async () => {
    const files = [fixture("ml-100k/u.item"), fixture("ml-100k/u.data")];
    const first = await cli(...files);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Catalog "movielens": 2 files/);
    expect(first.stdout).toMatch(/MovieLens-100K ratings\s+10\s+10\s+0\s+0\s+0/);

    const again = await cli(...files);
    expect(again.stdout).toMatch(/Nothing changed: every row was already in the database/);

    const bad = await cli(fixture("generic/interactions.csv"), "--catalog", "movielens");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Import failed; nothing was written.");
    expect(bad.stderr).toContain(`${fixture("generic/interactions.csv")}, line 2: unknown item "sku-1"`);
    expect(await t.db.interaction.count()).toBe(10);
  });
});

import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getJob, requestCancel } from "@/server/db/queries/jobs";
import { listVersions, switchServing } from "@/server/db/queries/models";
import type { AppError } from "@/server/http/errors";
import { startUpdate } from "@/server/jobs/jobs";
import { JOBS_DIR } from "@/server/jobs/runner";
import { registerVersion } from "@/server/models/versions";
import { FIXTURE } from "../runtime/fixture";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

// The incremental update as a job (server/jobs/update.ts) up to its Python stages: refused at once when
// the serving version cannot be updated; a stage's error becomes the job's; a cancel stops the Python
// process mid-stage. Each ends with nothing new under models/ and no work folder. The full pipeline on
// the tiny model runs in training/tests/test_update.py and tests/e2e/insights.spec.ts.
describe("incremental update job", () => {
  let t: TestDatabase;
  let models: string;
  const catalog = "goodbooks-update-test";
  const refused = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => (e as AppError).message ?? String(e));
  const partials = async () => (existsSync(JOBS_DIR) ? (await readdir(JOBS_DIR)).filter((n) => n.endsWith(".partial")) : []);

  beforeAll(async () => {
    t = await createTestDatabase("sqlite");
    models = await mkdtemp(path.join(tmpdir(), "reco-models-"));
    process.env.RECO_MODELS_DIR = models;
    // Readers of the fixture's first 10 books.
    const items = [];
    for (let i = 1; i <= 10; i++) items.push(await t.db.item.create({ data: { catalog, externalId: String(i), title: `Book ${i}`, metadata: {} } }));
    for (let u = 0; u < 2; u++) {
      const user = await t.db.user.create({ data: { externalId: `${catalog}:r${u}` } });
      for (let k = 0; k < 3; k++) {
        await t.db.interaction.create({ data: { userId: user.id, itemId: items[u + k]!.id, kind: "rating", value: 5, at: new Date(Date.now() - 60_000 + k), source: "import:t" } });
      }
    }
  });
  afterAll(async () => {
    delete process.env.RECO_MODELS_DIR;
    await rm(models, { recursive: true, force: true });
    await t.cleanup();
  });

  test("is refused before any job starts when nothing serves, or the serving version ranks by title generation", async () => {
    expect(await refused(startUpdate(t.db, { catalog, actorId: null }))).toMatch(/No model version is serving/);
    const dir = await mkdtemp(path.join(tmpdir(), "reco-llara-"));
    await cp(FIXTURE, dir, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as Record<string, unknown>;
    delete manifest.ranking;
    manifest.version = "title-generation";
    await writeFile(path.join(dir, "manifest.json"), JSON.stringify(manifest));
    const version = await registerVersion(t.db, { dir });
    await switchServing(t.db, { versionId: version.id, kind: "promote", actorId: null, override: null });
    expect(await refused(startUpdate(t.db, { catalog, actorId: null }))).toMatch(/title generation/);
    expect(await t.db.updateJob.count()).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });

  test("a Python stage's error is the job's; nothing is kept and the serving version stays", async () => {
    const tiny = await registerVersion(t.db, { dir: FIXTURE });
    await switchServing(t.db, { versionId: tiny.id, kind: "promote", actorId: null, override: null });
    const { job, done } = await startUpdate(t.db, { catalog, actorId: null });
    expect(await done).toBe("failed");
    const row = await getJob(t.db, { id: job.id });
    // 2 readers with 3 liked books each: too few to hold any out.
    expect(row).toMatchObject({ status: "failed", stage: "prepare" });
    expect(row!.error).toMatch(/^prepare: not enough new data to learn from: 6 interactions/);
    expect(row!.log).toMatch(/export: done/);
    expect(await readdir(models)).toEqual([]);
    expect(await partials()).toEqual([]);
    expect((await listVersions(t.db)).find((v) => v.status === "serving")?.name).toBe("tiny-random");
  }, 120_000);

  test("a cancel stops the Python process mid-stage and removes its work", async () => {
    const { job, done } = await startUpdate(t.db, { catalog, actorId: null });
    // Wait until the prepare stage (a Python process) is running, then cancel.
    for (let i = 0; i < 100 && (await getJob(t.db, { id: job.id }))?.stage !== "prepare"; i++) await new Promise((r) => setTimeout(r, 100));
    await requestCancel(t.db, { id: job.id });
    expect(await done).toBe("cancelled");
    expect(await getJob(t.db, { id: job.id })).toMatchObject({ status: "cancelled", stage: "prepare" });
    expect(await readdir(models)).toEqual([]);
    expect(await partials()).toEqual([]);
  }, 120_000);
});

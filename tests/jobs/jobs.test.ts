import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getJob, startJob } from "@/server/db/queries/jobs";
import { exportStage } from "@/server/jobs/export-training-data";
import { cancelJob, startTrainingDataExport } from "@/server/jobs/jobs";
import { STALE_MS, jobFolder, recoverAbandonedJobs, runJob, type Stage } from "@/server/jobs/runner";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

// The job state machine on both databases: success, one job per catalog, cancel, failure, a server
// killed mid-job, and a new job after each.
describe.each(["sqlite", "postgresql"] as const)("jobs on %s", (kind) => {
  let t: TestDatabase;
  const catalog = `books-${kind}`;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    const user = await t.db.user.create({ data: { externalId: `${catalog}:u1` } });
    const visitor = await t.db.user.create({ data: {} });
    const items = [];
    for (let i = 1; i <= 3; i++) items.push(await t.db.item.create({ data: { catalog, externalId: `b${i}`, title: `Book ${i}`, metadata: {} } }));
    const other = await t.db.item.create({ data: { catalog: "elsewhere", externalId: "x", title: "X", metadata: {} } });
    const at = (d: string) => new Date(`2026-${d}T12:00:00Z`);
    await t.db.interaction.create({ data: { userId: user.id, itemId: items[0]!.id, kind: "rating", value: 5, at: at("01-01"), source: "import:a" } });
    await t.db.interaction.create({ data: { userId: user.id, itemId: items[1]!.id, kind: "like", at: at("06-01"), source: "feedback:f1" } });
    await t.db.interaction.create({ data: { userId: visitor.id, itemId: items[2]!.id, kind: "not_interested", at: at("06-02"), source: "feedback:f2" } });
    await t.db.interaction.create({ data: { userId: visitor.id, itemId: other.id, kind: "like", at: at("06-03"), source: "feedback:f3" } });
  });
  afterAll(() => t.cleanup());

  const slowStage = (steps: number): Stage => ({
    name: "slow",
    run: async ({ progress }) => {
      for (let i = 1; i <= steps; i++) {
        await new Promise((r) => setTimeout(r, 300));
        await progress(i / steps);
      }
    },
  });

  test("the export writes the catalog's interactions since a date, in the pipeline's format, and succeeds", async () => {
    const job = await startJob(t.db, { catalog, createdById: null });
    const outcome = await runJob(t.db, job.id, [exportStage(t.db, { catalog, since: new Date("2026-03-01T00:00:00Z") })]);
    // With no serving version, the app's export takes everything: 3 interactions with this catalog.
    const all = await startTrainingDataExport(t.db, { catalog, actorId: null });
    expect(await all.done).toBe("succeeded");
    expect(readFileSync(path.join(jobFolder(all.job.id), "interactions.jsonl"), "utf8").trim().split("\n")).toHaveLength(3);
    await rm(jobFolder(all.job.id), { recursive: true, force: true });
    expect(outcome).toBe("succeeded");
    const row = await getJob(t.db, { id: job.id });
    expect(row).toMatchObject({ status: "succeeded", stage: "export", progress: 1, outputPath: jobFolder(job.id) });
    const lines = readFileSync(path.join(jobFolder(job.id), "interactions.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.item, l.kind])).toEqual([["b2", "like"], ["b3", "not_interested"]]);
    expect(lines[0]).toMatchObject({ user: `${catalog}:u1`, at: "2026-06-01T12:00:00.000Z", value: null });
    expect(readFileSync(path.join(jobFolder(job.id), "items.jsonl"), "utf8").trim().split("\n")).toHaveLength(3);
    expect(row!.log).toMatch(/2 interactions/);
    await rm(jobFolder(job.id), { recursive: true, force: true });
  });

  test("one job at a time per catalog, even when started together", async () => {
    const starts = await Promise.allSettled([0, 1, 2].map(() => startJob(t.db, { catalog: `${catalog}-race`, createdById: null })));
    expect(starts.filter((s) => s.status === "fulfilled")).toHaveLength(1);
    expect(await t.db.updateJob.count({ where: { catalog: `${catalog}-race`, status: "running" } })).toBe(1);
    await expect(startJob(t.db, { catalog: `${catalog}-race`, createdById: null })).rejects.toMatchObject({ code: "conflict:job_running" });
  });

  test("cancel stops the job at its next progress report and leaves no files; a new job can start", async () => {
    const job = await startJob(t.db, { catalog: `${catalog}-cancel`, createdById: null });
    const done = runJob(t.db, job.id, [slowStage(20)]);
    await new Promise((r) => setTimeout(r, 700));
    await cancelJob(t.db, { id: job.id });
    expect(await done).toBe("cancelled");
    expect((await getJob(t.db, { id: job.id }))?.status).toBe("cancelled");
    expect(existsSync(jobFolder(job.id)) || existsSync(`${jobFolder(job.id)}.partial`)).toBe(false);
    await expect(cancelJob(t.db, { id: job.id })).rejects.toMatchObject({ code: "bad_request:not_running" });
    const next = await startJob(t.db, { catalog: `${catalog}-cancel`, createdById: null });
    expect(next.status).toBe("running");
    await runJob(t.db, next.id, [slowStage(1)]);
  });

  test("a failing stage marks the job failed with the stage and reason, and removes its files", async () => {
    const job = await startJob(t.db, { catalog: `${catalog}-fail`, createdById: null });
    const outcome = await runJob(t.db, job.id, [{ name: "train", run: async () => Promise.reject(new Error("no long-term adapter")) }]);
    expect(outcome).toBe("failed");
    expect(await getJob(t.db, { id: job.id })).toMatchObject({ status: "failed", error: "train: no long-term adapter" });
    expect(existsSync(`${jobFolder(job.id)}.partial`)).toBe(false);
  });

  test("a job whose server died is marked failed at the next start, its partial files removed; a live one is left alone", async () => {
    const dead = await startJob(t.db, { catalog: `${catalog}-dead`, createdById: null });
    const live = await startJob(t.db, { catalog: `${catalog}-live`, createdById: null });
    await t.db.updateJob.update({ where: { id: dead.id }, data: { updatedAt: new Date(Date.now() - 3 * STALE_MS) } });
    await mkdir(`${jobFolder(dead.id)}.partial`, { recursive: true });
    expect(await recoverAbandonedJobs(t.db)).toBe(1);
    expect(await getJob(t.db, { id: dead.id })).toMatchObject({ status: "failed", error: "The server stopped while this job was running." });
    expect(existsSync(`${jobFolder(dead.id)}.partial`)).toBe(false);
    expect((await getJob(t.db, { id: live.id }))?.status).toBe("running");
    expect((await startJob(t.db, { catalog: `${catalog}-dead`, createdById: null })).status).toBe("running");
  });
});

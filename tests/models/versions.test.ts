import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { listVersions, modelEvents } from "@/server/db/queries/models";
import type { AppError } from "@/server/http/errors";
import { servingModel } from "@/server/models/serving";
import { adoptInstalledVersion, promote, registerVersion, rollback } from "@/server/models/versions";
import { FIXTURE } from "../runtime/fixture";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

/** A copy of the tiny fixture model under another version name, with a stated offline HR@1 (or none). */
async function versionFolder(name: string, hr1: number | null): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `reco-version-${name}-`));
  await cp(FIXTURE, dir, { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as Record<string, unknown> & { ranking: Record<string, unknown> };
  manifest.version = name;
  manifest.ranking.validation = hr1 === null ? null : { split: "val", rows: 100, fusion_hr1: hr1, baseline: "sasrec", baseline_hr1: 0.3 };
  await writeFile(path.join(dir, "manifest.json"), JSON.stringify(manifest));
  return dir;
}

const refused = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => (e as AppError).code ?? String(e));

describe.each(["sqlite", "postgresql"] as const)("model versions on %s", (kind) => {
  let t: TestDatabase;
  const folders: Record<string, string> = {};
  let actor: string;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    actor = (await t.db.user.create({ data: { email: "product@example.com", role: "product" } })).id;
    folders.first = await versionFolder("v-first", 0.4);
    folders.better = await versionFolder("v-better", 0.45);
    folders.worse = await versionFolder("v-worse", 0.3);
    folders.broken = await versionFolder("v-broken", 0.5);
    await writeFile(path.join(folders.broken, "sasrec.onnx"), "not an onnx file");
  });
  afterAll(async () => {
    for (const dir of Object.values(folders)) await rm(dir, { recursive: true, force: true });
    await t.cleanup();
  });

  const statuses = async () => Object.fromEntries((await listVersions(t.db)).map((v) => [v.name, v.status]));

  test("the installed model becomes the first serving version; others register as candidates", async () => {
    expect((await adoptInstalledVersion(t.db, { dir: folders.first! }))?.status).toBe("serving");
    expect(await adoptInstalledVersion(t.db, { dir: path.join(tmpdir(), "no-such-model") })).toBeNull();
    for (const name of ["better", "worse", "broken"]) await registerVersion(t.db, { dir: folders[name]! });
    expect(await statuses()).toEqual({ "v-first": "serving", "v-better": "candidate", "v-worse": "candidate", "v-broken": "candidate" });
    expect((await listVersions(t.db)).find((v) => v.name === "v-better")).toMatchObject({ hr1: 0.45, hr1Source: "ranking, val (100 rows)" });
    expect(await refused(registerVersion(t.db, { dir: folders.better! }))).toBe("bad_request:duplicate_version");
    expect(await refused(registerVersion(t.db, { dir: tmpdir() }))).toBe("bad_request:no_manifest");
  });

  test("promotion: gated by offline HR@1 unless a reason is given; a broken folder changes nothing", async () => {
    expect(await refused(promote(t.db, { name: "v-worse", actorId: actor }))).toBe("bad_request:worse_version");
    expect(await refused(promote(t.db, { name: "v-broken", actorId: actor }))).toBe("bad_request:broken_version");
    expect(await refused(promote(t.db, { name: "v-none", actorId: actor }))).toBe("not_found:version");
    expect((await statuses())["v-first"]).toBe("serving");

    await promote(t.db, { name: "v-better", actorId: actor });
    await promote(t.db, { name: "v-worse", actorId: actor, override: "a fresher catalog" });
    expect(await statuses()).toMatchObject({ "v-first": "retired", "v-better": "retired", "v-worse": "serving" });
    expect((await listVersions(t.db)).filter((v) => v.status === "serving")).toHaveLength(1);
  });

  test("rollback restores an earlier version in one step; the audit trail has every switch", async () => {
    expect(await refused(rollback(t.db, { name: "v-worse", actorId: actor }))).toBe("bad_request:not_earlier");
    await rollback(t.db, { name: "v-first", actorId: actor });
    expect(await statuses()).toMatchObject({ "v-first": "serving", "v-worse": "retired" });
    const events = await modelEvents(t.db);
    expect(events.map((e) => [e.kind, e.version, e.from, e.actor, e.override])).toEqual([
      ["rollback", "v-first", "v-worse", "product@example.com", null],
      ["promote", "v-worse", "v-better", "product@example.com", "a fresher catalog"],
      ["promote", "v-better", "v-first", "product@example.com", null],
      ["promote", "v-first", null, "set-up or CLI", null],
    ]);
  });
});

test("a generation in flight finishes on the version it started with while a promotion switches the server", async () => {
  const t = await createTestDatabase("sqlite");
  const saved = process.env.RECO_MODEL_DIR;
  delete process.env.RECO_MODEL_DIR; // serve what the database says
  const a = await versionFolder("v-a", 0.4);
  const b = await versionFolder("v-b", 0.5);
  try {
    await adoptInstalledVersion(t.db, { dir: a });
    await registerVersion(t.db, { dir: b });
    const before = await servingModel(t.db);
    if (!("runtime" in before)) throw new Error(before.unavailable);
    expect(before.runtime.version).toBe("v-a");

    const stream = before.runtime.textStream([{ role: "user", content: "Tell me about a book." }], { maxNewTokens: 24 });
    let text = (await stream.next()).value ?? "";
    await promote(t.db, { name: "v-b", actorId: null });
    const after = await servingModel(t.db);
    if (!("runtime" in after)) throw new Error(after.unavailable);
    expect(after.runtime.version).toBe("v-b");
    // The old version keeps generating for the request that started on it.
    for await (const delta of stream) text += delta;
    expect(text.length).toBeGreaterThan(0);
    // And both versions answer while the old one drains; then new requests go to the new one.
    const concurrent = await Promise.all([0, 1, 2].map(async () => (await servingModel(t.db)) as { runtime: { version: string } }));
    expect(concurrent.map((m) => m.runtime.version)).toEqual(["v-b", "v-b", "v-b"]);
  } finally {
    if (saved === undefined) delete process.env.RECO_MODEL_DIR;
    else process.env.RECO_MODEL_DIR = saved;
    await rm(a, { recursive: true, force: true });
    await rm(b, { recursive: true, force: true });
    await t.cleanup();
  }
});

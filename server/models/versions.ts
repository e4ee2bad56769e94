import "server-only";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ModelRuntime, manifestSchema, type Manifest } from "@/model-runtime";
import type { Db } from "../db/client";
import { createVersion, findVersion, listVersions, switchServing, type VersionRow } from "../db/queries/models";
import { AppError } from "../http/errors";

/**
 * Model versions as the product team manages them: a version folder is registered as a candidate
 * with its offline HR@1; promoting makes it the one serving version (every app instance switches
 * at its next chat turn; answers being written finish on the version they started with, see
 * model-runtime/registry.ts); any earlier version can be restored. A candidate whose offline HR@1
 * is below the serving version's by more than RECO_PROMOTE_MARGIN (default 0.01) is promoted only
 * with a reason, which the audit trail keeps.
 */
export const PromoteSettings = z.object({ RECO_PROMOTE_MARGIN: z.coerce.number().min(0).max(1).default(0.01) });

export function promoteMargin(env: Record<string, string | undefined> = process.env): number {
  const parsed = PromoteSettings.safeParse(env);
  if (!parsed.success) throw new Error("RECO_PROMOTE_MARGIN must be a number between 0 and 1");
  return parsed.data.RECO_PROMOTE_MARGIN;
}

/**
 * The version's offline HR@1: the fused ranking's held-out HR@1 when the folder has a ranking head,
 * else the best HR@1 over all rows among its recorded evaluations (title generation).
 */
export function offlineHr1(manifest: Manifest): { hr1: number; hr1Source: string } | null {
  const validation = manifest.ranking?.validation;
  if (validation) return { hr1: validation.fusion_hr1, hr1Source: `ranking, ${validation.split} (${validation.rows} rows)` };
  let best: { hr1: number; hr1Source: string } | null = null;
  for (const m of manifest.metrics) {
    if (typeof m.hr1_all === "number" && (!best || m.hr1_all > best.hr1)) {
      best = { hr1: m.hr1_all, hr1Source: `${String(m.decoding ?? "title generation")}, ${String(m.split ?? "?")} (${String(m.rows ?? "?")} rows)` };
    }
  }
  return best;
}

async function readManifest(dir: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path.join(dir, "manifest.json"), "utf8");
  } catch {
    throw new AppError("bad_request:no_manifest", `${dir} is not a model version folder: it has no manifest.json.`);
  }
  const parsed = manifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new AppError("bad_request:manifest", `${dir}/manifest.json is not a valid manifest: ${parsed.error.issues[0]?.message ?? "?"}.`);
  return parsed.data;
}

/** Registers a version folder as a candidate (its name is the manifest's version). */
export async function registerVersion(db: Db, { dir }: { dir: string }): Promise<VersionRow> {
  const absolute = path.resolve(dir);
  const manifest = await readManifest(absolute);
  if (await findVersion(db, { name: manifest.version })) {
    throw new AppError("bad_request:duplicate_version", `A version named ${manifest.version} is already registered.`);
  }
  return createVersion(db, { name: manifest.version, path: absolute, metrics: { ...(offlineHr1(manifest) ?? {}) }, parentName: manifest.parent ?? null });
}

/** The folder loads (every file present, hashes right, graphs open): checked before any switch. */
async function checkLoads(dir: string): Promise<void> {
  try {
    const runtime = await ModelRuntime.load(dir);
    await runtime.retire();
  } catch (error) {
    console.error(`model ${dir} does not load`, error);
    throw new AppError("bad_request:broken_version", "This version's folder does not load (the server log says why); nothing was changed.");
  }
}

export type PromoteInput = { name: string; actorId: string | null; override?: string | null; margin?: number };

/** Promotes a candidate (or a retired version) to serving, after the offline HR@1 gate. */
export async function promote(db: Db, { name, actorId, override = null, margin = promoteMargin() }: PromoteInput): Promise<void> {
  const version = await findVersion(db, { name });
  if (!version) throw new AppError("not_found:version", `No model version named ${name}.`);
  if (version.status === "serving") throw new AppError("bad_request:already_serving", `${name} is already serving.`);
  const serving = (await listVersions(db)).find((v) => v.status === "serving");
  const reason = override?.trim() || null;
  if (serving && serving.hr1 !== null && (version.hr1 === null || version.hr1 < serving.hr1 - margin) && !reason) {
    const theirs = version.hr1 === null ? "no offline HR@1" : `an offline HR@1 of ${version.hr1.toFixed(3)}`;
    throw new AppError(
      "bad_request:worse_version",
      `${name} has ${theirs}, below ${serving.name}'s ${serving.hr1.toFixed(3)} by more than the margin (${margin}). Give a reason to promote it anyway.`,
    );
  }
  await checkLoads(version.path);
  await switchServing(db, { versionId: version.id, kind: "promote", actorId, override: reason });
}

/** Restores an earlier version (no gate: it served before). */
export async function rollback(db: Db, { name, actorId }: { name: string; actorId: string | null }): Promise<void> {
  const version = await findVersion(db, { name });
  if (!version) throw new AppError("not_found:version", `No model version named ${name}.`);
  if (version.status !== "retired") throw new AppError("bad_request:not_earlier", `${name} is ${version.status}: only an earlier (retired) version can be restored.`);
  await checkLoads(version.path);
  await switchServing(db, { versionId: version.id, kind: "rollback", actorId, override: null });
}

/**
 * The set-up step's shipped model (models/demo) as a version: registered once per build, and
 * serving when no version is, so that the product team can later restore it like any other.
 */
export async function adoptInstalledVersion(db: Db, { dir }: { dir: string }): Promise<VersionRow | null> {
  let manifest: Manifest;
  try {
    manifest = await readManifest(path.resolve(dir));
  } catch {
    return null; // not built (yet): nothing to register
  }
  const version = (await findVersion(db, { name: manifest.version })) ?? (await registerVersion(db, { dir }));
  if (!(await listVersions(db)).some((v) => v.status === "serving")) {
    await switchServing(db, { versionId: version.id, kind: "promote", actorId: null, override: null });
  }
  return findVersion(db, { name: manifest.version });
}

import { existsSync } from "node:fs";
import path from "node:path";
import { ModelRegistry, type ModelRuntime } from "@/model-runtime";
import type { Db } from "../db/client";
import { servingVersionPath } from "../db/queries/models";

/**
 * Which language model answers chats. The version folder comes from RECO_MODEL_DIR (`off`: none),
 * else the ModelVersion marked "serving", else the demo model the set-up step builds (models/demo).
 * A folder that fails to load is reported (not retried on every message) and the chat falls
 * back to the baseline recommender; a version already serving keeps serving.
 */

export type ServingModel = { runtime: ModelRuntime } | { unavailable: string };

export const DEMO_MODEL_DIR = "models/demo";
const RETRY_AFTER_MS = 60_000;

type State = {
  registry: ModelRegistry;
  /** The folder serving now, and one being loaded (concurrent first messages share one load). */
  dir: string | null;
  loading: { dir: string; done: Promise<unknown> } | null;
  failure: { dir: string; message: string; at: number } | null;
};
const state = ((globalThis as unknown as { recoModels?: State }).recoModels ??= {
  registry: new ModelRegistry(),
  dir: null,
  loading: null,
  failure: null,
});

/** RECO_MODEL_DIR=off: no language model at all, the baseline recommender answers (tests, small machines). */
export const modelTurnedOff = () => process.env.RECO_MODEL_DIR?.trim() === "off";

async function wantedDir(db: Db): Promise<string | { none: string }> {
  if (modelTurnedOff()) return { none: "the language model is turned off (RECO_MODEL_DIR=off)" };
  const fromEnv = process.env.RECO_MODEL_DIR?.trim();
  if (fromEnv) return path.resolve(fromEnv);
  const serving = await servingVersionPath(db);
  if (serving) return path.resolve(serving);
  if (existsSync(path.join(DEMO_MODEL_DIR, "manifest.json"))) return path.resolve(DEMO_MODEL_DIR);
  return { none: "no language model is installed yet (`npm run setup` builds the demo model)" };
}

export async function servingModel(db: Db): Promise<ServingModel> {
  const dir = await wantedDir(db);
  if (typeof dir !== "string") return { unavailable: dir.none };
  if (state.dir === dir) return { runtime: state.registry.current() };
  const failed = state.failure;
  if (failed?.dir === dir && Date.now() - failed.at < RETRY_AFTER_MS) return fallback();
  try {
    if (state.loading?.dir !== dir) state.loading = { dir, done: state.registry.serve(dir) };
    await state.loading.done;
    state.dir = dir;
    state.failure = null;
    return { runtime: state.registry.current() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`model ${dir} could not load: ${message}`);
    state.failure = { dir, message, at: Date.now() };
    return fallback();
  } finally {
    if (state.loading?.dir === dir) state.loading = null;
  }
}

function fallback(): ServingModel {
  // Keep answering with the version that was serving before, if any. The reason (file names, paths)
  // is in the server log, not in what visitors read.
  return state.dir ? { runtime: state.registry.current() } : { unavailable: "the language model could not load (the server log says why)" };
}

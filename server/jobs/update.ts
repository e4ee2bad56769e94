import "server-only";
import { spawn } from "node:child_process";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import type { Db } from "../db/client";
import { linkJobVersion } from "../db/queries/jobs";
import { listVersions } from "../db/queries/models";
import { AppError } from "../http/errors";
import { registerVersion } from "../models/versions";
import { exportStage, servingVersionTrainedAt } from "./export-training-data";
import { jobPython } from "./python";
import type { Stage, StageContext } from "./runner";

/**
 * The incremental update (LSAT; training/update.py says how): export the newest period, then one
 * Python process per stage — prepare, train the short-term LoRA, combine it with the serving
 * version's long-term LoRA, evaluate on held-out users, package a candidate version — and register
 * the candidate on /insights, where the product team compares and promotes it. The serving version
 * is never touched: the candidate is built inside the job's folder and moved to models/ only at the
 * end.
 */
/** Where candidates land: models/ (RECO_MODELS_DIR elsewhere, e.g. the end-to-end tests' scratch folder). */
const modelsDir = () => path.resolve(process.env.RECO_MODELS_DIR?.trim() || "models");
const PYTHON_STAGES = ["prepare", "train", "combine", "evaluate", "package"] as const;

/** Threads for training: all cores but one, so the app keeps answering chats while an update runs. */
const updateThreads = () => Number(process.env.RECO_UPDATE_THREADS) || Math.max(1, availableParallelism() - 1);

const candidateName = (now = new Date()) => `update-${now.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}`;

/** The serving version, which must be updatable: a ranking head with its training/ folder. */
export async function servingForUpdate(db: Db): Promise<{ name: string; path: string }> {
  const serving = (await listVersions(db)).find((v) => v.status === "serving");
  if (!serving) throw new AppError("bad_request:no_serving_version", "No model version is serving, so there is nothing to update.");
  let manifest: { ranking?: unknown };
  try {
    manifest = JSON.parse(await readFile(path.join(serving.path, "manifest.json"), "utf8")) as typeof manifest;
  } catch {
    throw new AppError("bad_request:broken_version", `The serving version ${serving.name} has no readable manifest.json.`);
  }
  if (!manifest.ranking) {
    throw new AppError(
      "bad_request:not_updatable",
      `The serving version ${serving.name} ranks by title generation; an incremental update trains the ranking head, so serve a version exported from a ranking run first.`,
    );
  }
  return { name: serving.name, path: serving.path };
}

/**
 * `python -m training.update <stage>` as a job stage. Its `{"progress": f}` lines move the bar, its other
 * lines go to the job's log, and its last `error: ...` line becomes the job's error. A cancel request
 * (checked every second) stops the process; so does this server's death, since the child exits when
 * its stdin closes.
 */
function pythonStage(name: (typeof PYTHON_STAGES)[number], args: (dir: string) => string[]): Stage {
  return {
    name,
    run: (ctx: StageContext) =>
      new Promise<void>((resolve, reject) => {
        const python = jobPython();
        const child = spawn(python, ["-m", "training.update", name, "--work", path.join(ctx.dir, "work"), "--threads", String(updateThreads()), ...args(ctx.dir)], {
          stdio: ["pipe", "pipe", "pipe"],
          detached: true, // its own process group: a Ctrl-C at `npm run update` reaches the CLI, which cancels the job cleanly
          env: { ...process.env, RECO_UPDATE_EXIT_WITH_PARENT: "1" }, // `python -m` finds training/ in the working directory
        });
        let fraction = 0;
        let stopping: Error | null = null;
        let lastError = "";
        const stop = (error: Error) => {
          if (stopping) return;
          stopping = error;
          child.kill("SIGTERM");
        };
        const report = () => ctx.progress(fraction).catch((error: unknown) => stop(error instanceof Error ? error : new Error(String(error))));
        const tick = setInterval(report, 1000);
        let pending = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          pending += chunk;
          const lines = pending.split("\n");
          pending = lines.pop() ?? "";
          for (const line of lines) {
            if (line.startsWith('{"progress"')) {
              fraction = (JSON.parse(line) as { progress: number }).progress;
              void report();
            } else if (line.trim()) ctx.log(`${name}: ${line.trim()}`);
          }
        });
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
          for (const line of chunk.split(/[\r\n]/)) if (line.startsWith("error: ")) lastError = line.slice("error: ".length);
        });
        child.on("error", (error) => {
          clearInterval(tick);
          reject(error);
        });
        child.on("close", (code, signal) => {
          clearInterval(tick);
          if (stopping) reject(stopping);
          else if (code === 0) resolve();
          else reject(new Error(lastError || `python -m training.update ${name} exited with ${code ?? signal} (the server log has its output)`));
        });
      }),
  };
}

/** Moves the candidate into models/ and registers it; undoes the move when registration fails. */
function registerStage(db: Db, jobId: string, name: string): Stage {
  return {
    name: "register",
    run: async ({ dir, progress, log }) => {
      await mkdir(modelsDir(), { recursive: true });
      const target = path.join(modelsDir(), name);
      await rename(path.join(dir, "work", "version"), target);
      try {
        await progress(0.5);
        const version = await registerVersion(db, { dir: target });
        await linkJobVersion(db, { id: jobId, versionId: version.id });
        log(`registered ${name} as a candidate (offline HR@1 ${version.hr1 === null ? "unknown" : version.hr1.toFixed(3)})`);
      } catch (error) {
        await rm(target, { recursive: true, force: true });
        throw error;
      }
    },
  };
}

/** The stages of one update of the serving version (checked with servingForUpdate) for a catalog. */
export async function updateStages(
  db: Db,
  { catalog, jobId, serving, trainSamples = 0 }: { catalog: string; jobId: string; serving: Awaited<ReturnType<typeof servingForUpdate>>; trainSamples?: number },
): Promise<Stage[]> {
  const since = await servingVersionTrainedAt(db);
  const name = candidateName();
  return [
    exportStage(db, { catalog, since: since?.at ?? null }),
    pythonStage("prepare", (dir) => ["--version-dir", serving.path, "--export", dir]),
    pythonStage("train", () => ["--train-samples", String(trainSamples)]),
    pythonStage("combine", () => []),
    pythonStage("evaluate", () => []),
    pythonStage("package", () => ["--version", name]),
    registerStage(db, jobId, name),
  ];
}

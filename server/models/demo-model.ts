import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * The set-up step's part for the language model: build models/demo — the demo catalog's LLaRA model —
 * from the trained parts committed in demo/goodbooks-model and the registry base model, once.
 * The build is Python (training/demo_model.py: convert → merge → ONNX → int8, with progress bars);
 * this only decides whether it is needed, finds a Python with the training packages (installing
 * them from training/requirements.txt when missing) and runs it.
 *
 * A build that cannot run is not fatal: the app then answers with the baseline recommender and
 * says so in the chat, and `npm run setup` tries again.
 */

const PARTS_DIR = "demo/goodbooks-model";
const OUT_DIR = "models/demo";
const TRAINING_MODULES = ["torch", "transformers", "peft", "onnx", "onnxruntime", "gguf", "safetensors", "tqdm"];

export type DemoModelResult = { status: "up-to-date" | "built" | "skipped"; detail: string };

function readVersion(file: string): string | null {
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** The committed parts' version, and the built folder's (null when missing or unreadable). */
export function demoModelVersions(root = process.cwd()) {
  return {
    wanted: readVersion(path.join(root, PARTS_DIR, "info.json")),
    built: readVersion(path.join(root, OUT_DIR, "manifest.json")),
  };
}

const VENV_PYTHON = path.join("training", ".venv", "bin", "python");

function hasTrainingPackages(python: string): boolean {
  const check = spawnSync(python, ["-c", `import ${TRAINING_MODULES.join(", ")}`], { stdio: "ignore" });
  return check.status === 0;
}

/**
 * A Python that can run training/: RECO_PYTHON as given, else the project's own virtual environment
 * (training/.venv, created with python3 if missing) with training/requirements.txt installed into it —
 * never the machine's own Python.
 */
function trainingPython(): string {
  const fromEnv = process.env.RECO_PYTHON?.trim();
  if (fromEnv) {
    if (!hasTrainingPackages(fromEnv)) throw new Error(`RECO_PYTHON=${fromEnv} cannot import ${TRAINING_MODULES.join(", ")}: install training/requirements.txt into it`);
    return fromEnv;
  }
  if (existsSync(VENV_PYTHON) && hasTrainingPackages(VENV_PYTHON)) return VENV_PYTHON;
  if (!existsSync(VENV_PYTHON)) {
    console.log("Creating the project's Python environment in training/.venv…");
    const venv = spawnSync("python3", ["-m", "venv", path.join("training", ".venv")], { stdio: "inherit" });
    if (venv.status !== 0) throw new Error("python3 -m venv training/.venv failed (install python3 and its venv module, or set RECO_PYTHON)");
  }
  console.log("Installing the Python packages the model build needs into training/.venv (training/requirements.txt)…");
  const install = spawnSync(VENV_PYTHON, ["-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "on",
    "-r", "training/requirements.txt"], { stdio: "inherit" });
  if (install.status !== 0 || !hasTrainingPackages(VENV_PYTHON)) {
    throw new Error("pip could not install training/requirements.txt into training/.venv");
  }
  return VENV_PYTHON;
}

export function ensureDemoModel(): DemoModelResult {
  if (process.env.RECO_MODEL_DIR?.trim()) {
    return { status: "skipped", detail: `RECO_MODEL_DIR=${process.env.RECO_MODEL_DIR.trim()}, so the demo model is not used` };
  }
  const { wanted, built } = demoModelVersions();
  if (!wanted) throw new Error(`${PARTS_DIR}/info.json is missing: this checkout has no demo model parts`);
  if (built === wanted) return { status: "up-to-date", detail: `${OUT_DIR} (${built})` };
  console.log(`Building the demo model ${wanted} into ${OUT_DIR} (once; about 10 minutes on 2 CPU cores)…`);
  const python = trainingPython();
  const run = spawnSync(python, ["-m", "training.demo_model", "build", "--out", OUT_DIR], {
    stdio: "inherit",
    env: { ...process.env, PYTHONPATH: [process.cwd(), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) },
  });
  if (run.status !== 0) throw new Error(`python -m training.demo_model build exited with ${run.status ?? run.signal}`);
  return { status: "built", detail: `${OUT_DIR} (${wanted})` };
}

import "server-only";
import { existsSync } from "node:fs";
import path from "node:path";
import { AppError } from "../http/errors";

/**
 * The Python that runs training/ for jobs: RECO_PYTHON, else the project's own virtual environment,
 * which the set-up step creates (server/models/demo-model.ts). A job never installs anything.
 */
export function jobPython(): string {
  const fromEnv = process.env.RECO_PYTHON?.trim();
  if (fromEnv) return fromEnv;
  // Joined at run time: a constant path would make the production build trace the environment's files.
  const venv = ["training", ".venv", "bin", "python"].join(path.sep);
  if (existsSync(venv)) return venv;
  throw new AppError("bad_request:no_python", "The training environment (training/.venv) is missing: run npm run setup, or set RECO_PYTHON.");
}

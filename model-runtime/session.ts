/**
 * Creating onnxruntime-node sessions: threads and execution provider from options or the environment.
 *
 * RECO_DEVICE=cuda asks for the CUDA execution provider. The npm package only carries it when its
 * install step ran with CUDA 12 (`npm_config_onnxruntime_node_install=cuda12 npm ci` on a machine
 * with CUDA); offline installs skip that step, so CPU is the default and asking for CUDA on a
 * binary without it is an error that says how to fix it, not a silent fall-back.
 * RECO_THREADS sets the intra-op threads per session (default: ORT's own choice, all cores).
 */
import * as ort from "onnxruntime-node";

export type Device = "cpu" | "cuda";

export interface SessionConfig {
  device: Device;
  /** Intra-op threads per session; undefined = onnxruntime's default (one per core). */
  threads?: number;
}

/** Session settings from RECO_DEVICE and RECO_THREADS, with a clear error for a bad value. */
export function sessionConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): SessionConfig {
  const device = (env.RECO_DEVICE ?? "cpu").toLowerCase();
  if (device !== "cpu" && device !== "cuda") {
    throw new Error(`RECO_DEVICE must be "cpu" or "cuda", not ${JSON.stringify(env.RECO_DEVICE)}`);
  }
  let threads: number | undefined;
  if (env.RECO_THREADS !== undefined && env.RECO_THREADS !== "") {
    threads = Number(env.RECO_THREADS);
    if (!Number.isInteger(threads) || threads < 1) {
      throw new Error(`RECO_THREADS must be a positive integer, not ${JSON.stringify(env.RECO_THREADS)}`);
    }
  }
  return { device, threads };
}

/** The configured device cannot run here: a deployment problem, not a problem of the model folder. */
export class DeviceError extends Error {
  override name = "DeviceError";
}

const CUDA_HELP =
  "RECO_DEVICE=cuda, but this onnxruntime-node binary has no CUDA execution provider. Reinstall it on a " +
  "machine with CUDA 12: `npm_config_onnxruntime_node_install=cuda12 npm ci`, or unset RECO_DEVICE to run on CPU.";

export async function createSession(model: string | Uint8Array, config: SessionConfig): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: config.device === "cuda" ? ["cuda", "cpu"] : ["cpu"],
    graphOptimizationLevel: "all",
    ...(config.threads ? { intraOpNumThreads: config.threads, interOpNumThreads: 1 } : {}),
  };
  if (config.device === "cuda" && !ort.listSupportedBackends().some((b) => b.name === "cuda")) {
    throw new DeviceError(CUDA_HELP);
  }
  try {
    return typeof model === "string" ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  } catch (error) {
    if (config.device === "cuda" && /cuda|provider/i.test(String(error))) {
      throw new DeviceError(`${CUDA_HELP} (onnxruntime said: ${String(error).split("\n")[0]})`);
    }
    throw error;
  }
}

/** Device and thread settings: validated from the environment; CUDA asked for on a CPU-only binary is a clear error. */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DeviceError, loadModelFolder, ModelFolderError, sessionConfigFromEnv } from "@/model-runtime";
import { FIXTURE } from "./fixture";

const bindingDir = path.join(path.dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json")), "bin/napi-v6/linux/x64");
const hasCuda = existsSync(path.join(bindingDir, "libonnxruntime_providers_cuda.so"));

describe("session settings", () => {
  it("reads RECO_DEVICE and RECO_THREADS, refusing bad values by name", () => {
    expect(sessionConfigFromEnv({})).toEqual({ device: "cpu", threads: undefined });
    expect(sessionConfigFromEnv({ RECO_DEVICE: "CUDA", RECO_THREADS: "2" })).toEqual({ device: "cuda", threads: 2 });
    expect(() => sessionConfigFromEnv({ RECO_DEVICE: "tpu" })).toThrow(/RECO_DEVICE must be "cpu" or "cuda", not "tpu"/);
    expect(() => sessionConfigFromEnv({ RECO_THREADS: "0" })).toThrow(/RECO_THREADS must be a positive integer/);
  });

  it.skipIf(hasCuda)("refuses RECO_DEVICE=cuda on a binary without the CUDA provider, saying how to get it", async () => {
    const error = await loadModelFolder(FIXTURE, { device: "cuda" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceError);
    expect(error).not.toBeInstanceOf(ModelFolderError); // the folder is fine; the install is not
    expect(String(error)).toMatch(/npm_config_onnxruntime_node_install=cuda12/);
  });
});

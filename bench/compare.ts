/**
 * model-runtime beside llama.cpp (node-llama-cpp) and transformers.js on the same base model and the same
 * LLaRA recommendation prompt, with the memory-bandwidth bound of each format's decode speed.
 *
 *   training/.venv/bin/python -m training.compare_exports --model <version folder>   # once: Q8_0 GGUF, text-only ONNX, byte counts
 *   npm run bench:compare -- [--model <version folder>] [--precision fp32,int8] [--threads 1,2] [--decode 32] [--repeat 3]
 *                            [--wrap "<command prefix>"]
 * --model defaults to models/demo when it exists, else models/llara-movielens-smoke; --precision to the graphs it has.
 *
 * --wrap runs every child under a command prefix (on a shared machine: `--wrap "bash /tmp/quiet.sh"`, which pauses
 * background jobs for the duration of one measurement).
 *
 * Rows, each in its own child process (so peak RSS is that row's alone):
 * - model-runtime fp32 / int8 on the version folder (LLaRA's hybrid prompt): bench/runtime.ts's own measurement,
 *   run as its child, which also ranks the 20 candidates. Its peak RSS includes ranking and one short stream.
 * - llama.cpp Q4_1 (the GGUF the base model comes from) and Q8_0 (requantized from it), prebuilt CPU binary.
 * - transformers.js fp32 / int8 on a standard text-only ONNX export of the base model (onnxruntime-node underneath).
 * The text engines get the same prompt as text, each behaviour slot written as the word "ITEM" (a text-only model
 * has no slots), which tokenizes to as many tokens as the hybrid prompt; each row prints its own token count.
 * Prefill: llama.cpp and transformers.js — time to the first generated token; model-runtime — the prefill forward
 * pass. Decode: greedy, --decode tokens, end-of-turn not stopping it. Medians of --repeat after one warm-up.
 *
 * Bandwidth bound: decode reads every weight once per token, so tokens/s ≤ bandwidth ÷ weight bytes read per
 * token (models/compare/decode_bytes.json, counted from the files by compare_exports.py). Bandwidth is measured
 * here, per thread count: each thread compares two equal 256 MiB Buffers (memcmp: read-only, as decode is) and
 * copies one into the other (memcpy, counted as read + write); the faster of the two is used.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import cliProgress from "cli-progress";
import type { Token } from "node-llama-cpp";
import { encodePrompt, loadModelFolder, recommendationMessages } from "../model-runtime";

const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: existsSync("models/demo/manifest.json") ? "models/demo" : "models/llara-movielens-smoke" },
    compare: { type: "string", default: "models/compare" },
    base: { type: "string", default: "training/cache/SmolLM2-135M-Instruct.Q4_1.gguf" },
    precision: { type: "string" },
    threads: { type: "string", default: "1,2" },
    decode: { type: "string", default: "32" },
    repeat: { type: "string", default: "3" },
    history: { type: "string", default: "10" },
    candidates: { type: "string", default: "20" },
    child: { type: "string" },
    file: { type: "string" },
    prompt: { type: "string" },
    wrap: { type: "string" },
  },
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

interface Row {
  engine: string;
  format: string;
  threads: number;
  promptTokens: number;
  prefillMs: number;
  decodeTokPerS: number;
  peakRssMb: number;
  /** Weights file whose decode bytes set the bandwidth bound. */
  file: string;
  rankMs?: number;
  /** The first generated tokens, so a reader sees each engine really generates from the prompt. */
  sample?: string;
  loadAvg: number;
}

/** Timestamps of a token stream: time to the first token (prefill) and tokens/s after it (decode). */
async function timeStream(tokens: AsyncIterable<unknown>, start: number, steps: number) {
  let first = 0;
  let n = 0;
  for await (const _ of tokens) {
    if (++n === 1) first = performance.now();
    if (n === steps) break;
  }
  if (n < steps) throw new Error(`the stream ended after ${n} of ${steps} tokens`);
  return { prefillMs: first - start, decodeTokPerS: (steps - 1) / ((performance.now() - first) / 1000) };
}

async function repeated(run: () => Promise<{ prefillMs: number; decodeTokPerS: number }>) {
  const prefill: number[] = [];
  const decode: number[] = [];
  for (let r = 0; r <= Number(args.repeat); r++) {
    const t = await run();
    if (r === 0) continue; // warm-up
    prefill.push(t.prefillMs);
    decode.push(t.decodeTokPerS);
  }
  return { prefillMs: median(prefill), decodeTokPerS: median(decode) };
}

async function llamaCpp(file: string, threads: number, text: string): Promise<Row> {
  const { getLlama } = await import("node-llama-cpp");
  // maxThreads 0: the context's thread count is used as given, not capped by what the library thinks is free.
  const llama = await getLlama({ gpu: false, build: "never", maxThreads: 0 });
  const model = await llama.loadModel({ modelPath: file });
  const context = await model.createContext({ contextSize: 1024, batchSize: 512, threads });
  const sequence = context.getSequence();
  const ids = model.tokenize(text, true);
  const steps = Number(args.decode);
  const stats = await repeated(async () => {
    await sequence.clearHistory();
    const start = performance.now();
    return timeStream(sequence.evaluate(ids, { temperature: 0 }), start, steps);
  });
  await sequence.clearHistory();
  const sample: Token[] = [];
  for await (const token of sequence.evaluate(ids, { temperature: 0 })) if (sample.push(token) === 8) break;
  return {
    engine: "llama.cpp",
    format: path.basename(file).match(/\.(Q\w+)\.gguf$/)?.[1] ?? path.basename(file),
    threads,
    promptTokens: ids.length,
    ...stats,
    peakRssMb: peakRssMb(),
    file,
    sample: model.detokenize(sample),
    loadAvg: os.loadavg()[0]!,
  };
}

async function transformersJs(dtype: "fp32" | "int8", threads: number, text: string): Promise<Row> {
  const { AutoModelForCausalLM, AutoTokenizer, TextStreamer, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.localModelPath = path.resolve(args.compare!);
  const tokenizer = await AutoTokenizer.from_pretrained("text-onnx");
  const model = await AutoModelForCausalLM.from_pretrained("text-onnx", {
    dtype,
    device: "cpu",
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all" },
  });
  const inputs = tokenizer(text, { add_special_tokens: false });
  const steps = Number(args.decode);
  const generateTimed = () => {
    const tokens: number[] = []; // when each generated token arrived
    const streamer = new TextStreamer(tokenizer, { skip_prompt: true, callback_function: () => {}, token_callback_function: () => tokens.push(performance.now()) });
    const start = performance.now();
    return model
      .generate({ ...inputs, max_new_tokens: steps, min_new_tokens: steps, do_sample: false, streamer })
      .then((out) => ({ out, start, tokens }));
  };
  const stats = await repeated(async () => {
    const { start, tokens } = await generateTimed();
    if (tokens.length !== steps) throw new Error(`transformers.js generated ${tokens.length} of ${steps} tokens`);
    return { prefillMs: tokens[0]! - start, decodeTokPerS: (steps - 1) / ((tokens.at(-1)! - tokens[0]!) / 1000) };
  });
  const { out } = await generateTimed();
  const sequence = (out as { tolist(): bigint[][] }).tolist()[0]!.map(Number);
  const promptTokens = inputs.input_ids.dims.at(-1)!;
  return {
    engine: "transformers.js",
    format: dtype,
    threads,
    promptTokens,
    ...stats,
    peakRssMb: peakRssMb(),
    file: path.join(args.compare!, "text-onnx/onnx", dtype === "fp32" ? "model.onnx" : "model_int8.onnx"),
    sample: tokenizer.decode(sequence.slice(promptTokens, promptTokens + 8)),
    loadAvg: os.loadavg()[0]!,
  };
}

/** One thread's part of the bandwidth test (plain JS, run with `eval`), on two 256 MiB buffers (far beyond any
 * cache): "read" compares two equal buffers (memcmp reads both, writes nothing — as decode reads weights),
 * "copy" copies one into the other (memcpy, counted as read + write). */
const bandwidthWorker = `
  const { parentPort } = require("node:worker_threads");
  const bytes = 256 * 2 ** 20;
  const a = Buffer.alloc(bytes, 1);
  const b = Buffer.alloc(bytes, 1);
  parentPort.on("message", (kind) => {
    if (kind === "copy") a.copy(b);
    else if (!a.equals(b)) throw new Error("buffers differ");
    parentPort.postMessage(2 * bytes);
  });
  parentPort.postMessage("ready");
`;

/** GB/s of `threads` workers together, each on its own buffers; best of 5 passes of each kind. */
async function bandwidth(threads: number): Promise<{ readGBs: number; copyGBs: number }> {
  const workers = Array.from({ length: threads }, () => new Worker(bandwidthWorker, { eval: true }));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once("message", resolve))));
  const measure = async (kind: "read" | "copy") => {
    const done = workers.map((w) => new Promise<number>((resolve) => w.once("message", resolve)));
    const start = performance.now();
    for (const w of workers) w.postMessage(kind);
    const bytes = (await Promise.all(done)).reduce((a, b) => a + b, 0);
    return bytes / ((performance.now() - start) / 1000) / 1e9;
  };
  let readGBs = 0;
  let copyGBs = 0;
  for (let r = 0; r < 5; r++) {
    readGBs = Math.max(readGBs, await measure("read"));
    copyGBs = Math.max(copyGBs, await measure("copy"));
  }
  await Promise.all(workers.map((w) => w.terminate()));
  return { readGBs, copyGBs };
}

interface RuntimeResult {
  precision: "fp32" | "int8";
  threads: number;
  promptTokens: number;
  prefillMs: number;
  decodeTokPerS: number;
  rankTrainingFormMs: number;
  peakRssMb: number;
  loadAvg: number;
}

/** Runs one measurement in a child process, under the --wrap command when given (e.g. one that quiets the machine). */
function spawnChild(argv: string[]): string {
  const command = [...(args.wrap?.split(" ").filter(Boolean) ?? []), process.execPath, ...process.execArgv, ...argv];
  const child = spawnSync(command[0]!, command.slice(1), { encoding: "utf8", maxBuffer: 1 << 24 });
  const line = child.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`${argv.join(" ")} failed:\n${child.stderr}`);
  return line.slice(7);
}

function decodeBytes(): (file: string) => number {
  const tablePath = path.join(args.compare!, "decode_bytes.json");
  const table = existsSync(tablePath) ? (JSON.parse(readFileSync(tablePath, "utf8")) as Record<string, { file_bytes: number; decode_bytes: number }>) : {};
  return (file) => {
    const entry = table[path.resolve(file)];
    if (!entry || entry.file_bytes !== statSync(file).size) {
      throw new Error(`${file} is not counted in ${tablePath}: run python -m training.compare_exports --model ${args.model}`);
    }
    return entry.decode_bytes;
  };
}

async function main() {
  const threads = Number(args.threads);
  if (args.child === "bandwidth") {
    process.stdout.write(`RESULT ${JSON.stringify(await bandwidth(threads))}\n`);
    return;
  }
  if (args.child === "llama") {
    process.stdout.write(`RESULT ${JSON.stringify(await llamaCpp(args.file!, threads, readFileSync(args.prompt!, "utf8")))}\n`);
    return;
  }
  if (args.child === "fp32" || args.child === "int8") {
    process.stdout.write(`RESULT ${JSON.stringify(await transformersJs(args.child, threads, readFileSync(args.prompt!, "utf8")))}\n`);
    return;
  }

  // The prompt bench/runtime.ts uses (history rows 1..10, candidates 11..30, template 0), and its text-only form.
  const folder = await loadModelFolder(args.model!, { skipHashes: true });
  // model-runtime rows: the precisions asked for, else those the folder has (a folder may ship fp32 only).
  const precisions = (args.precision ?? (folder.manifest.llm_int8 ? "fp32,int8" : "fp32")).split(",") as Array<"fp32" | "int8">;
  const nHistory = Number(args.history);
  const history = Array.from({ length: nHistory }, (_, i) => i + 1);
  const candidates = Array.from({ length: Number(args.candidates) }, (_, i) => nHistory + i + 1);
  const hybrid = encodePrompt(folder, recommendationMessages(folder, { history, candidates }));
  const slots = folder.manifest.special_tokens;
  const text = hybrid.text.replaceAll(slots.history_slot.token, "ITEM").replaceAll(slots.candidate_slot.token, "ITEM");
  await folder.release();
  const promptFile = path.join(mkdtempSync(path.join(os.tmpdir(), "bench-compare-")), "prompt.txt");
  writeFileSync(promptFile, text);
  const bytesOf = decodeBytes();

  const self = path.resolve(import.meta.filename);
  const runtimeBench = path.resolve(path.dirname(self), "runtime.ts");
  const threadCounts = args.threads!.split(",").map(Number);
  const q8 = path.join(args.compare!, path.basename(args.base!).replace("Q4_1", "Q8_0"));
  const jobs = threadCounts.flatMap((t) => [
    { label: `bandwidth, ${t} thread(s)`, argv: [self, "--child", "bandwidth", "--threads", String(t)] },
    ...precisions.map((p) => ({
      label: `model-runtime ${p}, ${t} thread(s)`,
      argv: [runtimeBench, "--child", "--model", args.model!, "--precision", p, "--threads", String(t), "--decode", args.decode!,
        "--repeat", args.repeat!, "--history", args.history!, "--candidates", args.candidates!, "--streams", "1"],
      precision: p,
    })),
    ...[args.base!, q8].map((file) => ({ label: `llama.cpp ${path.basename(file)}, ${t} thread(s)`, argv: [self, ...childArgs("llama", t, promptFile), "--file", file] })),
    ...(["fp32", "int8"] as const).map((d) => ({ label: `transformers.js ${d}, ${t} thread(s)`, argv: [self, ...childArgs(d, t, promptFile)] })),
  ]);
  const bar = new cliProgress.SingleBar({ format: "compare {bar} {value}/{total} {job}" }, cliProgress.Presets.shades_classic);
  bar.start(jobs.length, 0, { job: "" });
  const rows: Row[] = [];
  const bandwidths = new Map<number, { readGBs: number; copyGBs: number }>();
  for (const job of jobs) {
    bar.update({ job: job.label });
    const result = JSON.parse(spawnChild(job.argv));
    const t = Number(job.argv[job.argv.indexOf("--threads") + 1]);
    if (job.argv.includes("bandwidth")) bandwidths.set(t, result);
    else if ("precision" in job) {
      const r = result as RuntimeResult;
      rows.push({
        engine: "model-runtime",
        format: r.precision,
        threads: r.threads,
        promptTokens: r.promptTokens,
        prefillMs: r.prefillMs,
        decodeTokPerS: r.decodeTokPerS,
        peakRssMb: r.peakRssMb,
        file: path.join(args.model!, r.precision === "fp32" ? folderFile("llm") : folderFile("llm_int8")),
        rankMs: r.rankTrainingFormMs,
        loadAvg: r.loadAvg,
      });
    } else rows.push(result as Row);
    bar.increment();
  }
  bar.stop();

  console.log(`\nmodel-runtime: ${args.model}, ${precisions.join(" and ")} (hybrid prompt); llama.cpp and transformers.js: SmolLM2-135M-Instruct base (text prompt)`);
  console.log(`prompt: LLaRA template 0, ${args.history} history + ${args.candidates} candidates; decode ${args.decode} tokens greedy; medians of ${args.repeat}`);
  console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "?"}; ${new Date().toISOString()}`);
  for (const [t, b] of bandwidths) console.log(`bandwidth, ${t} thread(s): read (memcmp) ${b.readGBs.toFixed(1)} GB/s, copy (memcpy, read + write) ${b.copyGBs.toFixed(1)} GB/s`);
  console.log("\n| engine | format | threads | prompt tokens | prefill | decode | bandwidth bound (weights read per token) | decode / bound | rank 20 candidates | peak RSS | load avg | first tokens |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows.sort((a, b) => a.threads - b.threads)) {
    const b = bandwidths.get(r.threads)!;
    const bytes = bytesOf(r.file);
    const bound = (Math.max(b.readGBs, b.copyGBs) * 1e9) / bytes;
    console.log(
      `| ${r.engine} | ${r.format} | ${r.threads} | ${r.promptTokens} | ${r.prefillMs.toFixed(0)} ms | ${r.decodeTokPerS.toFixed(1)} tok/s | ${bound.toFixed(0)} tok/s (${(bytes / 1e6).toFixed(0)} MB) | ${((100 * r.decodeTokPerS) / bound).toFixed(0)} % | ${r.rankMs === undefined ? "–" : `${r.rankMs.toFixed(0)} ms`} | ${r.peakRssMb.toFixed(0)} MB | ${r.loadAvg.toFixed(1)} | ${r.sample === undefined ? "–" : JSON.stringify(r.sample).replaceAll("|", "\\|")} |`,
    );
  }
}

function childArgs(kind: string, threads: number, promptFile: string): string[] {
  return ["--child", kind, "--threads", String(threads), "--prompt", promptFile, "--compare", args.compare!, "--decode", args.decode!, "--repeat", args.repeat!];
}

function folderFile(key: "llm" | "llm_int8"): string {
  const manifest = JSON.parse(readFileSync(path.join(args.model!, "manifest.json"), "utf8")) as Record<string, { file: string }>;
  return manifest[key]!.file;
}

await main();

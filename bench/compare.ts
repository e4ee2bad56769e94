/**
 * model-runtime beside llama.cpp (node-llama-cpp) and transformers.js on the same base model and the same
 * LLaRA recommendation prompt, with the memory-bandwidth bound of each format's decode speed.
 *
 *   training/.venv/bin/python -m training.compare_exports --model <version folder>   # once: Q8_0 GGUF, text-only ONNX, byte counts
 *   npm run bench:compare -- [--model <version folder>] [--precision fp32,int8] [--threads 1,2] [--decode 32] [--repeat 3]
 *                            [--wrap "<command prefix>"]
 *
 * --model defaults to models/demo when it exists, else models/llara-movielens-smoke; --precision to the graphs it has.
 * --wrap runs every child under a command prefix (on a shared machine, e.g. `--wrap "bash /tmp/quiet.sh"`).
 *
 * Rows, each in its own child process (so peak RSS is that row's alone), all timed the same way: greedy generation
 * from the prompt as a token stream; prefill = time to the first token, decode = tokens/s over the next --decode − 1
 * (end-of-turn does not stop it); medians of --repeat after one warm-up.
 * - model-runtime fp32 / int8 on the version folder, LLaRA's hybrid prompt (Decoder.forward, as bench/runtime.ts).
 *   "rank 20 candidates" is bench/runtime.ts's own measurement (rankCandidates, training form, its own prefill
 *   included), run as its child.
 * - llama.cpp Q4_1 (the GGUF the base model comes from) and Q8_0 (requantized from it), prebuilt CPU binary,
 *   flash attention on.
 * - transformers.js fp32 / int8 on a standard text-only ONNX export of the base model (onnxruntime-node underneath).
 * The text engines get the same prompt as text, each behaviour slot written as the word "ITEM" (a text-only model
 * has no slots), which tokenizes to as many tokens as the hybrid prompt; each row prints its own token count.
 * Beside wall time, each phase's CPU time (process.cpuUsage, all threads): with one thread it is what the phase
 * costs on an idle core, which is the fairer figure when other jobs share the machine.
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
import { encodePrompt, loadModelFolder, ModelRuntime, recommendationMessages, type Precision } from "../model-runtime";
import { argmax } from "../model-runtime/sampling";

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
    wrap: { type: "string" },
    child: { type: "string" },
    file: { type: "string" },
    prompt: { type: "string" },
  },
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const steps = Number(args.decode);

interface Stamp {
  wall: number;
  cpu: number;
}
const stamp = (): Stamp => {
  const c = process.cpuUsage();
  return { wall: performance.now(), cpu: (c.user + c.system) / 1000 };
};

interface Timing {
  prefillMs: number;
  prefillCpuMs: number;
  decodeTokPerS: number;
  decodeTokPerCpuS: number;
}
const timing = (start: Stamp, first: Stamp, last: Stamp): Timing => ({
  prefillMs: first.wall - start.wall,
  prefillCpuMs: first.cpu - start.cpu,
  decodeTokPerS: ((steps - 1) * 1000) / (last.wall - first.wall),
  decodeTokPerCpuS: ((steps - 1) * 1000) / (last.cpu - first.cpu),
});

interface Row extends Timing {
  engine: string;
  format: string;
  threads: number;
  promptTokens: number;
  peakRssMb: number;
  /** Weights file whose decode bytes set the bandwidth bound. */
  file: string;
  /** The first generated tokens, so a reader sees each engine really generates from the prompt. */
  sample: string;
  loadAvg: number;
  rankMs?: number;
}

/** Times a lazily started token stream: the first token ends prefill, the --decode-th ends decoding. */
async function timeStream(tokens: AsyncIterable<unknown>): Promise<Timing> {
  const start = stamp();
  let first = start;
  let n = 0;
  for await (const _ of tokens) {
    if (++n === 1) first = stamp();
    if (n === steps) return timing(start, first, stamp());
  }
  throw new Error(`the stream ended after ${n} of ${steps} tokens`);
}

async function repeated(run: () => Promise<Timing>): Promise<Timing> {
  const runs: Timing[] = [];
  for (let r = 0; r <= Number(args.repeat); r++) {
    const t = await run();
    if (r > 0) runs.push(t); // r = 0 is the warm-up
  }
  const med = (key: keyof Timing) => median(runs.map((t) => t[key]));
  return { prefillMs: med("prefillMs"), prefillCpuMs: med("prefillCpuMs"), decodeTokPerS: med("decodeTokPerS"), decodeTokPerCpuS: med("decodeTokPerCpuS") };
}

const finish = (row: Omit<Row, "peakRssMb" | "loadAvg">): Row => ({ ...row, peakRssMb: process.resourceUsage().maxRSS / 1024, loadAvg: os.loadavg()[0]! });

/** The same rows of the item table as bench/runtime.ts: history 1..H, candidates H+1..H+C. */
function promptRows() {
  const nHistory = Number(args.history);
  return {
    history: Array.from({ length: nHistory }, (_, i) => i + 1),
    candidates: Array.from({ length: Number(args.candidates) }, (_, i) => nHistory + i + 1),
  };
}

async function modelRuntime(precision: Precision, threads: number): Promise<Row> {
  const rt = await ModelRuntime.load(args.model!, { precision, threads, skipHashes: true });
  const prompt = rt.recommendationPrompt(promptRows());
  const d = rt.decoder;
  async function* greedy() {
    let out = await d.forward({ ids: [prompt.ids], slotRows: [prompt.slotRows], cache: d.emptyCache(1), logitsToKeep: 1 });
    for (;;) {
      const token = argmax(out.logits.subarray((out.kept - 1) * d.vocab, out.kept * d.vocab));
      yield token;
      out = await d.forward({ ids: [[token]], cache: out.cache, logitsToKeep: 1 });
    }
  }
  const stats = await repeated(() => timeStream(greedy()));
  const sample: number[] = [];
  for await (const token of greedy()) if (sample.push(token) === 8) break;
  return finish({
    engine: "model-runtime",
    format: precision,
    threads,
    promptTokens: prompt.ids.length,
    ...stats,
    file: path.join(args.model!, rt.folder.llm.kind === "whole" ? rt.folder.llm.spec.file : rt.folder.llm.spec.decoder),
    sample: rt.folder.tokenizer.decode(sample),
  });
}

async function llamaCpp(file: string, threads: number, text: string): Promise<Row> {
  const { getLlama } = await import("node-llama-cpp");
  // maxThreads 0: the context's thread count is used as given, not capped by what the library thinks is free.
  const llama = await getLlama({ gpu: false, build: "never", maxThreads: 0 });
  const model = await llama.loadModel({ modelPath: file });
  // Flash attention on: llama.cpp's faster CPU path here (435-token prefill, Q8_0, 1 thread: 5.2 s CPU against 7.2 s).
  const context = await model.createContext({ contextSize: 1024, batchSize: 512, threads, flashAttention: true });
  const sequence = context.getSequence();
  const ids = model.tokenize(text, true);
  // yieldEogToken: an end-of-generation token must not end the timed stream early (the other engines run on past it).
  const stats = await repeated(async () => {
    await sequence.clearHistory();
    return timeStream(sequence.evaluate(ids, { temperature: 0, yieldEogToken: true }));
  });
  await sequence.clearHistory();
  const sample: Token[] = [];
  for await (const token of sequence.evaluate(ids, { temperature: 0, yieldEogToken: true })) if (sample.push(token) === 8) break;
  return finish({
    engine: "llama.cpp",
    format: path.basename(file).match(/\.(Q\w+)\.gguf$/)?.[1] ?? path.basename(file),
    threads,
    promptTokens: ids.length,
    ...stats,
    file,
    sample: model.detokenize(sample),
  });
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
  const generate = async () => {
    const arrivals: Stamp[] = []; // one per generated token
    const streamer = new TextStreamer(tokenizer, { skip_prompt: true, callback_function: () => {}, token_callback_function: () => arrivals.push(stamp()) });
    const start = stamp();
    const out = await model.generate({ ...inputs, max_new_tokens: steps, min_new_tokens: steps, do_sample: false, streamer });
    if (arrivals.length !== steps) throw new Error(`transformers.js generated ${arrivals.length} of ${steps} tokens`);
    return { out, timing: timing(start, arrivals[0]!, arrivals.at(-1)!) };
  };
  const stats = await repeated(async () => (await generate()).timing);
  const { out } = await generate();
  const promptTokens = inputs.input_ids.dims.at(-1)!;
  const sequence = (out as { tolist(): bigint[][] }).tolist()[0]!.map(Number);
  return finish({
    engine: "transformers.js",
    format: dtype,
    threads,
    promptTokens,
    ...stats,
    file: path.join(args.compare!, "text-onnx/onnx", dtype === "fp32" ? "model.onnx" : "model_int8.onnx"),
    sample: tokenizer.decode(sequence.slice(promptTokens, promptTokens + 8)),
  });
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

/** Runs one measurement in a child process, under the --wrap command when given; returns its RESULT line's JSON. */
function spawnChild(argv: string[]): unknown {
  const command = [...(args.wrap?.split(" ").filter(Boolean) ?? []), process.execPath, ...process.execArgv, ...argv];
  const child = spawnSync(command[0]!, command.slice(1), { encoding: "utf8", maxBuffer: 1 << 24 });
  const line = child.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`${argv.join(" ")} failed:\n${child.stderr}`);
  return JSON.parse(line.slice(7));
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

async function child(kind: string, threads: number): Promise<unknown> {
  if (kind === "bandwidth") return bandwidth(threads);
  if (kind === "runtime") return modelRuntime(args.precision as Precision, threads);
  const text = readFileSync(args.prompt!, "utf8");
  if (kind === "llama") return llamaCpp(args.file!, threads, text);
  return transformersJs(kind as "fp32" | "int8", threads, text);
}

async function main() {
  if (args.child) {
    process.stdout.write(`RESULT ${JSON.stringify(await child(args.child, Number(args.threads)))}\n`);
    return;
  }
  // The text engines' prompt: the hybrid prompt's text with every slot token written as a plain word.
  const folder = await loadModelFolder(args.model!, { skipHashes: true });
  const precisions = (args.precision ?? ["fp32", folder.manifest.llm_int8 && "int8", folder.manifest.fused && "fused-int8"].filter(Boolean).join(",")).split(",") as Precision[];
  const hybrid = encodePrompt(folder, recommendationMessages(folder, promptRows()));
  const slots = folder.manifest.special_tokens;
  const text = hybrid.text.replaceAll(slots.history_slot.token, "ITEM").replaceAll(slots.candidate_slot.token, "ITEM");
  await folder.release();
  const promptFile = path.join(mkdtempSync(path.join(os.tmpdir(), "bench-compare-")), "prompt.txt");
  writeFileSync(promptFile, text);
  const bytesOf = decodeBytes();

  const self = path.resolve(import.meta.filename);
  const runtimeBench = path.resolve(path.dirname(self), "runtime.ts");
  const common = ["--model", args.model!, "--compare", args.compare!, "--decode", args.decode!, "--repeat", args.repeat!, "--history", args.history!, "--candidates", args.candidates!];
  const q8 = path.join(args.compare!, path.basename(args.base!).replace("Q4_1", "Q8_0"));
  type Job = { label: string; argv: string[]; kind: "bandwidth" | "row" | "rank"; threads: number; precision?: Precision };
  const jobs: Job[] = args.threads!.split(",").map(Number).flatMap((t): Job[] => {
    const own = (kind: string, ...more: string[]) => [self, "--child", kind, "--threads", String(t), "--prompt", promptFile, ...common, ...more];
    return [
      { label: `bandwidth, ${t} thread(s)`, argv: own("bandwidth"), kind: "bandwidth", threads: t },
      ...precisions.flatMap((p): Job[] => [
        { label: `model-runtime ${p}, ${t} thread(s)`, argv: own("runtime", "--precision", p), kind: "row", threads: t },
        {
          label: `model-runtime ${p} ranking (bench/runtime.ts), ${t} thread(s)`,
          argv: [runtimeBench, "--child", "--model", args.model!, "--precision", p, "--threads", String(t), "--decode", args.decode!,
            "--repeat", args.repeat!, "--history", args.history!, "--candidates", args.candidates!, "--streams", "1"],
          kind: "rank",
          threads: t,
          precision: p,
        },
      ]),
      ...[args.base!, q8].map((file): Job => ({ label: `llama.cpp ${path.basename(file)}, ${t} thread(s)`, argv: own("llama", "--file", file), kind: "row", threads: t })),
      ...(["fp32", "int8"] as const).map((d): Job => ({ label: `transformers.js ${d}, ${t} thread(s)`, argv: own(d), kind: "row", threads: t })),
    ];
  });
  const bar = new cliProgress.SingleBar({ format: "compare {bar} {value}/{total} {job}" }, cliProgress.Presets.shades_classic);
  bar.start(jobs.length, 0, { job: "" });
  const rows: Row[] = [];
  const bandwidths = new Map<number, { readGBs: number; copyGBs: number }>();
  for (const job of jobs) {
    bar.update({ job: job.label });
    const result = spawnChild(job.argv);
    if (job.kind === "bandwidth") bandwidths.set(job.threads, result as { readGBs: number; copyGBs: number });
    else if (job.kind === "row") rows.push(result as Row);
    else {
      const ours = rows.find((r) => r.engine === "model-runtime" && r.format === job.precision && r.threads === job.threads)!;
      ours.rankMs = (result as { rankTrainingFormMs: number }).rankTrainingFormMs;
    }
    bar.increment();
  }
  bar.stop();

  console.log(`\nmodel-runtime: ${args.model}, ${precisions.join(" and ")} (hybrid prompt); llama.cpp and transformers.js: SmolLM2-135M-Instruct base (text prompt)`);
  console.log(`prompt: LLaRA template 0, ${args.history} history + ${args.candidates} candidates; greedy, ${args.decode} tokens; medians of ${args.repeat}`);
  console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "?"}; ${new Date().toISOString()}`);
  for (const [t, b] of bandwidths) console.log(`bandwidth, ${t} thread(s): read (memcmp) ${b.readGBs.toFixed(1)} GB/s, copy (memcpy, read + write) ${b.copyGBs.toFixed(1)} GB/s`);
  console.log("\n| engine | format | threads | prompt tokens | prefill | prefill CPU | decode | decode per CPU-s | bandwidth bound (weights read per token) | decode / bound | rank 20 candidates | peak RSS | load avg | first tokens |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const b = bandwidths.get(r.threads)!;
    const bytes = bytesOf(r.file);
    const bound = (Math.max(b.readGBs, b.copyGBs) * 1e9) / bytes;
    const cells = [
      r.engine, r.format, r.threads, r.promptTokens, `${r.prefillMs.toFixed(0)} ms`, `${r.prefillCpuMs.toFixed(0)} ms`,
      `${r.decodeTokPerS.toFixed(1)} tok/s`, `${r.decodeTokPerCpuS.toFixed(1)} tok/s`, `${bound.toFixed(0)} tok/s (${(bytes / 1e6).toFixed(0)} MB)`,
      `${((100 * r.decodeTokPerS) / bound).toFixed(0)} %`, r.rankMs === undefined ? "–" : `${r.rankMs.toFixed(0)} ms`,
      `${r.peakRssMb.toFixed(0)} MB`, r.loadAvg.toFixed(1), JSON.stringify(r.sample).replaceAll("|", "\\|"),
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
}

await main();

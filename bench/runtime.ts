/**
 * Speed of model-runtime on one model version folder: load, prefill of a LLaRA recommendation prompt,
 * decode tokens/s, ranking the candidates (every tokenization of each title, and the training form
 * only), choosing one by trie-constrained decoding, N concurrent streams taking turns vs batched,
 * peak RSS; for each precision × threads.
 * Rank and choose times include their own prefill of the prompt.
 *
 *   npm run bench:runtime -- --model models/<version>            # fp32 and int8, 1 and 2 threads
 *   npm run bench:runtime -- --model tests/fixtures/tiny-model --label "tiny random (2 layers)"
 *   options: --precision fp32,int8  --threads 1,2  --decode 64  --repeat 5  --history 10  --candidates 20  --streams 4
 *
 * Each configuration runs in its own child process, so peak RSS is that configuration's alone.
 * Timings are medians over --repeat runs after one warm-up. Say which model a number came from:
 * random or untrained weights time like real ones of the same shape, but they are not the demo model.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { labelPrompt as labelPromptOf, manifestSchema, ModelRuntime, type Precision } from "../model-runtime";
import { argmax } from "../model-runtime/sampling";

const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: "tests/fixtures/tiny-model" },
    label: { type: "string" },
    precision: { type: "string", default: "fp32,int8" },
    threads: { type: "string", default: "1,2" },
    decode: { type: "string", default: "64" },
    repeat: { type: "string", default: "5" },
    history: { type: "string", default: "10" },
    candidates: { type: "string", default: "20" },
    streams: { type: "string", default: "4" },
    child: { type: "boolean", default: false },
  },
});

interface Result {
  precision: Precision;
  threads: number;
  loadMs: number;
  promptTokens: number;
  prefillMs: number;
  decodeTokPerS: number;
  rankMs: number;
  rankTrainingFormMs: number;
  /** The label head (null for a title-generation version): its prompt, one prefill of it, and the whole ranking. */
  labelPromptTokens: number | null;
  labelPrefillMs: number | null;
  labelRankMs: number | null;
  chooseMs: number;
  /** Total tokens/s of --streams concurrent generations: taking turns (default) and batched (batchDecode). */
  streamsTurnsTokPerS: number;
  streamsBatchedTokPerS: number;
  peakRssMb: number;
  /** 1-minute load average when the configuration finished: other processes' CPU use skews every timing. */
  loadAvg: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(precision: Precision, threads: number): Promise<Result> {
  const t0 = performance.now();
  const rt = await ModelRuntime.load(args.model!, { precision, threads });
  const loadMs = performance.now() - t0;
  const count = rt.folder.manifest.items.count;
  const nHistory = Math.min(Number(args.history), count);
  const nCandidates = Math.min(Number(args.candidates), count - nHistory);
  const history = Array.from({ length: nHistory }, (_, i) => i + 1);
  const candidates = Array.from({ length: nCandidates }, (_, i) => nHistory + i + 1);
  const prompt = rt.recommendationPrompt({ history, candidates });
  const titles = candidates.map((r) => rt.folder.items[r]!.title);
  const d = rt.decoder;
  const V = d.vocab;
  const steps = Number(args.decode);

  const prefill = async () => d.forward({ ids: [prompt.ids], slotRows: [prompt.slotRows], cache: d.emptyCache(1), logitsToKeep: 1 });
  const prefillTimes: number[] = [];
  const decodeRates: number[] = [];
  const rankTimes: number[] = [];
  const rankTrainingFormTimes: number[] = [];
  const chooseTimes: number[] = [];
  // The label head (a version trained by training/rank.py): its own prompt, one prefill, all scores.
  const labelPrompt = rt.hasRankingHead ? labelPromptOf(rt.folder, { history, candidates }) : null;
  const labelPrefillTimes: number[] = [];
  const labelRankTimes: number[] = [];
  for (let r = 0; r <= Number(args.repeat); r++) {
    let t = performance.now();
    let out = await prefill();
    const prefillMs = performance.now() - t;
    t = performance.now();
    for (let s = 0; s < steps; s++) {
      const token = argmax(out.logits.subarray((out.kept - 1) * V, out.kept * V));
      out = await d.forward({ ids: [[token]], cache: out.cache, logitsToKeep: 1 });
    }
    const decodeRate = steps / ((performance.now() - t) / 1000);
    t = performance.now();
    await rt.rankCandidates(prompt, titles, { spaceVariants: true });
    const rankMs = performance.now() - t;
    t = performance.now();
    await rt.rankCandidates(prompt, titles, { spaceVariants: false });
    const rankTrainingFormMs = performance.now() - t;
    t = performance.now();
    await rt.chooseCandidate(prompt, titles);
    const chooseMs = performance.now() - t;
    if (labelPrompt) {
      t = performance.now();
      await d.forward({ ids: [labelPrompt.ids], slotRows: [labelPrompt.slotRows], cache: d.emptyCache(1), logitsToKeep: 1 });
      if (r > 0) labelPrefillTimes.push(performance.now() - t);
      t = performance.now();
      await rt.rankByLabels({ history, candidates });
      if (r > 0) labelRankTimes.push(performance.now() - t);
    }
    if (r === 0) continue; // warm-up
    prefillTimes.push(prefillMs);
    decodeRates.push(decodeRate);
    rankTimes.push(rankMs);
    rankTrainingFormTimes.push(rankTrainingFormMs);
    chooseTimes.push(chooseMs);
  }
  // Concurrent streams (short prompts, as explanations are): decode throughput in total.
  const streamPrompts = Array.from({ length: Number(args.streams) }, (_, i) =>
    rt.encode([{ role: "user", content: `Why would a reader who liked ${titles[i % titles.length]} enjoy ${titles[(i + 1) % titles.length]}?` }]),
  );
  const throughput = async (runtime: ModelRuntime) => {
    await Promise.all(streamPrompts.map((p) => drain(runtime, p, 4))); // warm-up
    const t = performance.now();
    const counts = await Promise.all(streamPrompts.map((p) => drain(runtime, p, steps)));
    return counts.reduce((a, b) => a + b, 0) / ((performance.now() - t) / 1000);
  };
  const streamsTurnsTokPerS = await throughput(rt);
  const streamsBatchedTokPerS = await throughput(new ModelRuntime(rt.folder, { batchDecode: true }));
  await rt.retire();
  return {
    streamsTurnsTokPerS,
    streamsBatchedTokPerS,
    precision,
    threads,
    loadMs,
    promptTokens: prompt.ids.length,
    prefillMs: median(prefillTimes),
    decodeTokPerS: median(decodeRates),
    rankMs: median(rankTimes),
    rankTrainingFormMs: median(rankTrainingFormTimes),
    chooseMs: median(chooseTimes),
    labelPromptTokens: labelPrompt?.ids.length ?? null,
    labelPrefillMs: labelPrompt ? median(labelPrefillTimes) : null,
    labelRankMs: labelPrompt ? median(labelRankTimes) : null,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    loadAvg: os.loadavg()[0]!,
  };
}

async function drain(runtime: ModelRuntime, prompt: ReturnType<ModelRuntime["encode"]>, maxNewTokens: number): Promise<number> {
  let n = 0;
  for await (const e of runtime.generate(prompt, { maxNewTokens, stopTokens: [] })) if (e.type === "finish") n = e.tokens.length;
  return n;
}

async function main() {
  const precisions = args.precision!.split(",") as Precision[];
  const threadCounts = args.threads!.split(",").map(Number);
  if (args.child) {
    const result = await measure(precisions[0]!, threadCounts[0]!);
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    return;
  }
  const configs = precisions.flatMap((p) => threadCounts.map((t) => [p, t] as const));
  const bar = new cliProgress.SingleBar({ format: "bench {bar} {value}/{total} {config}" }, cliProgress.Presets.shades_classic);
  bar.start(configs.length, 0, { config: "" });
  const results: Result[] = [];
  for (const [precision, threads] of configs) {
    bar.update({ config: `${precision}, ${threads} thread(s)` });
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, path.resolve(import.meta.filename), ...process.argv.slice(2), "--child", "--precision", precision, "--threads", String(threads)],
      { encoding: "utf8", maxBuffer: 1 << 24 },
    );
    const line = child.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (!line) {
      bar.stop();
      throw new Error(`${precision}, ${threads} threads failed:\n${child.stderr}`);
    }
    results.push(JSON.parse(line.slice(7)));
    bar.increment();
  }
  bar.stop();
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(path.join(args.model!, "manifest.json"), "utf8")));
  const d = manifest.dims;
  console.log(`\nmodel: ${args.label ?? manifest.base_model.name} (${args.model}; ${d.layers} layers, hidden ${d.hidden}, vocab ${d.vocab}; logits: ${manifest.llm.logits})`);
  console.log(`prompt: LLaRA template 0, ${args.history} history + ${args.candidates} candidates = ${results[0]!.promptTokens} tokens; decode ${args.decode} tokens; medians of ${args.repeat}\n`);
  console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "?"}; ${new Date().toISOString()}\n`);
  console.log(`streams: ${args.streams} concurrent generations of ${args.decode} tokens from short prompts (prefill included), tokens/s in total\n`);
  console.log("| precision | threads | load (sha256 + sessions) | prefill | decode | rank (all forms) | rank (training form) | choose (trie) | streams, in turns | streams, batched | peak RSS | load avg |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    console.log(
      `| ${r.precision} | ${r.threads} | ${r.loadMs.toFixed(0)} ms | ${r.prefillMs.toFixed(0)} ms | ${r.decodeTokPerS.toFixed(1)} tok/s | ${r.rankMs.toFixed(0)} ms | ${r.rankTrainingFormMs.toFixed(0)} ms | ${r.chooseMs.toFixed(0)} ms | ${r.streamsTurnsTokPerS.toFixed(1)} tok/s | ${r.streamsBatchedTokPerS.toFixed(1)} tok/s | ${r.peakRssMb.toFixed(0)} MB | ${r.loadAvg.toFixed(1)} |`,
    );
  }
  if (results[0]!.labelPromptTokens !== null) {
    console.log(`
label head: its prompt (${results[0]!.labelPromptTokens} tokens), one prefill of it, and rankByLabels (SASRec state + that prefill + fusion)
`);
    console.log("| precision | threads | prefill (label prompt) | rank 20 (label head) | rank / prefill |");
    console.log("|---|---|---|---|---|");
    for (const r of results) {
      console.log(`| ${r.precision} | ${r.threads} | ${r.labelPrefillMs!.toFixed(0)} ms | ${r.labelRankMs!.toFixed(0)} ms | ${(r.labelRankMs! / r.labelPrefillMs!).toFixed(2)} |`);
    }
  }
}

await main();

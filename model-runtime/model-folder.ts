/**
 * Loading one model version folder (models/<version>/, the contract in docs/MODEL_FOLDER.md):
 *   1. manifest.json validated (zod);
 *   2. every listed file present with its size and sha256;
 *   3. tokenizer, item table and items.json consistent with the manifest's dims;
 *   4. one InferenceSession per graph, its input/output names and shapes checked against the manifest.
 * Any failure is a ModelFolderError naming the file and the reason; nothing half-loaded escapes.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type * as ort from "onnxruntime-node";
import { describeZodError, itemsFileSchema, manifestSchema, type FusedGraphsSpec, type ItemRow, type LlmGraphSpec, type Manifest } from "./manifest";
import { pickLogprobGraph } from "./onnx-graph";
import { createSession, DeviceError, sessionConfigFromEnv, type SessionConfig } from "./session";
import { RecoTokenizer } from "./tokenizer";

export class ModelFolderError extends Error {
  constructor(
    readonly folder: string,
    readonly file: string,
    reason: string,
  ) {
    super(`model folder ${folder}: ${file}: ${reason}`);
    this.name = "ModelFolderError";
  }
}

/** fp32: llm.onnx; int8: llm.int8.onnx; fused-int8: embed + decoder.int8 + lm_head.int8 (manifest "fused"). */
export type Precision = "fp32" | "int8" | "fused-int8";
const PRECISIONS: readonly Precision[] = ["fp32", "int8", "fused-int8"];

/** The LLM as loaded: one whole graph (llm.onnx or llm.int8.onnx), or the fused graphs cut in three. */
export type LlmGraphs =
  | { kind: "whole"; precision: "fp32" | "int8"; session: ort.InferenceSession; spec: LlmGraphSpec }
  | {
      kind: "fused";
      precision: "fused-int8";
      embed: ort.InferenceSession;
      decoder: ort.InferenceSession;
      head: ort.InferenceSession;
      spec: FusedGraphsSpec;
    };

export interface LoadOptions extends Partial<SessionConfig> {
  /** Which LLM graphs to serve (see Precision). Default: RECO_PRECISION, else "auto": the fused graphs
   *  when the folder has them (export accepted them against fp32), otherwise llm.onnx. */
  precision?: Precision | "auto";
  /** Skip the sha256 pass (sizes are still checked). Only for benchmarks on multi-GB folders. */
  skipHashes?: boolean;
}

/** Everything one version needs at inference time; shared by all requests (sessions are thread-safe). */
export interface ModelFolder {
  dir: string;
  manifest: Manifest;
  tokenizer: RecoTokenizer;
  llm: LlmGraphs;
  sasrec: ort.InferenceSession;
  /** The runtime's own log-softmax-and-pick graph (onnx-graph.ts), on the same device and threads. */
  logprobs: ort.InferenceSession;
  /** item_embeddings.f32 as [rows, rec_dim]; row 0 is padding. */
  itemTable: Float32Array;
  /** items.json rows by row index (index 0 unused). */
  items: ReadonlyArray<ItemRow | undefined>;
  /** Releases the sessions' native memory; call only when no request uses this folder any more. */
  release(): Promise<void>;
}

export async function loadModelFolder(dir: string, options: LoadOptions = {}): Promise<ModelFolder> {
  const fail = (file: string, reason: string): never => {
    throw new ModelFolderError(dir, file, reason);
  };
  const manifest = await readManifest(dir, fail);
  await verifyFiles(dir, manifest, options.skipHashes ?? false, fail);

  const tokenizer = await loadTokenizer(dir, manifest, fail);
  const itemTable = await loadItemTable(dir, manifest, fail);
  const items = await loadItems(dir, manifest, fail);

  const asked = options.precision ?? precisionFromEnv();
  const precision: Precision = asked !== "auto" ? asked : manifest.fused ? "fused-int8" : "fp32";
  const env = sessionConfigFromEnv();
  const config: SessionConfig = { device: options.device ?? env.device, threads: options.threads ?? env.threads };
  const opened: ort.InferenceSession[] = [];
  const releaseAll = () => Promise.all(opened.map((s) => s.release())).then(() => undefined);
  const open = async (file: string, own: SessionConfig = config) => {
    const session = await openSession(dir, file, own, fail);
    opened.push(session);
    return session;
  };
  let llm: LlmGraphs;
  let sasrec: ort.InferenceSession;
  let logprobs: ort.InferenceSession;
  try {
    if (precision === "fused-int8") {
      const spec = manifest.fused ?? fail("manifest.json", `precision fused-int8 asked for, but the manifest lists no fused graphs`);
      // The splice and the head run between decoder passes on one thread each: a second thread pool per
      // session would spin on the cores the decoder's pool needs (2 threads: decode fell from 58 to 28 tokens/s).
      const single = { ...config, threads: 1 };
      llm = { kind: "fused", precision, spec, embed: await open(spec.embed, single), decoder: await open(spec.decoder), head: await open(spec.lm_head, single) };
      checkFusedGraphs(manifest, llm, fail);
    } else {
      const spec = (precision === "int8" ? manifest.llm_int8 : manifest.llm) ??
        fail("manifest.json", `precision int8 asked for, but the manifest lists no llm_int8 graph`);
      llm = { kind: "whole", precision, spec, session: await open(spec.file) };
      checkLlmGraph(manifest, spec, llm.session, (reason) => fail(spec.file, reason));
    }
    sasrec = await openSession(dir, manifest.sasrec.file, config, fail);
    opened.push(sasrec);
    checkSasrecGraph(manifest, sasrec, (reason) => fail(manifest.sasrec.file, reason));
    logprobs = await createSession(pickLogprobGraph(), config);
    opened.push(logprobs);
  } catch (e) {
    await releaseAll();
    throw e;
  }
  return {
    dir,
    manifest,
    tokenizer,
    llm,
    sasrec,
    logprobs,
    itemTable,
    items,
    release: releaseAll,
  };
}

function precisionFromEnv(): Precision | "auto" {
  const p = process.env.RECO_PRECISION ?? "auto";
  if (p !== "auto" && !PRECISIONS.includes(p as Precision)) {
    throw new Error(`RECO_PRECISION must be auto or one of ${PRECISIONS.join(", ")}, not ${JSON.stringify(p)}`);
  }
  return p as Precision | "auto";
}

type Fail = (file: string, reason: string) => never;

async function readManifest(dir: string, fail: Fail): Promise<Manifest> {
  const text = await readFile(path.join(dir, "manifest.json"), "utf8").catch((e: NodeJS.ErrnoException) =>
    fail("manifest.json", e.code === "ENOENT" ? "missing" : e.message),
  );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail("manifest.json", `not valid JSON (${(e as Error).message})`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) return fail("manifest.json", describeZodError(parsed.error));
  const m = parsed.data;
  // Every file the runtime opens must be listed, so that it is hash-checked.
  const listed = new Set(m.files.map((f) => f.name));
  const needed = ["tokenizer.json", "tokenizer_config.json", m.llm.file, m.sasrec.file, m.items.file, m.items.embeddings];
  if (m.llm_int8) needed.push(m.llm_int8.file);
  if (m.fused) needed.push(m.fused.embed, m.fused.decoder, m.fused.lm_head);
  for (const name of needed) if (!listed.has(name)) fail("manifest.json", `${name} is used but not listed in "files"`);
  return m;
}

async function verifyFiles(dir: string, manifest: Manifest, skipHashes: boolean, fail: Fail): Promise<void> {
  for (const entry of manifest.files) {
    const file = path.join(dir, entry.name);
    const info = await stat(file).catch(() => fail(entry.name, "missing"));
    if (info.size !== entry.bytes) fail(entry.name, `size ${info.size} bytes, manifest says ${entry.bytes}`);
    if (skipHashes) continue;
    const digest = await sha256(file);
    if (digest !== entry.sha256) fail(entry.name, `sha256 ${digest} does not match the manifest (${entry.sha256}): corrupt or replaced`);
  }
}

export function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

async function readJson(dir: string, name: string, fail: Fail): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path.join(dir, name), "utf8"));
  } catch (e) {
    return fail(name, `not readable JSON (${(e as Error).message})`);
  }
}

async function loadTokenizer(dir: string, m: Manifest, fail: Fail): Promise<RecoTokenizer> {
  const json = await readJson(dir, "tokenizer.json", fail);
  const config = await readJson(dir, "tokenizer_config.json", fail);
  let tokenizer: RecoTokenizer;
  try {
    tokenizer = new RecoTokenizer(json, config);
  } catch (e) {
    return fail("tokenizer.json", (e as Error).message);
  }
  for (const [role, t] of Object.entries(m.special_tokens)) {
    if (!t) continue;
    const id = tokenizer.tokenId(t.token);
    if (id !== t.id) fail("tokenizer.json", `special token ${role} ${t.token} has id ${id}, manifest says ${t.id}`);
  }
  // The label head reads one logit per label: each label must be exactly that one token.
  m.ranking?.labels.forEach((label, i) => {
    const ids = tokenizer.encode(label);
    if (ids.length !== 1 || ids[0] !== m.ranking!.label_ids[i]) {
      fail("tokenizer.json", `ranking label ${JSON.stringify(label)} encodes as [${ids.join(", ")}], manifest says the single token ${m.ranking!.label_ids[i]}`);
    }
  });
  return tokenizer;
}

async function loadItemTable(dir: string, m: Manifest, fail: Fail): Promise<Float32Array> {
  const [rows, dim] = m.items.embeddings_shape;
  if (dim !== m.dims.rec_dim) fail("manifest.json", `items.embeddings_shape dim ${dim} != dims.rec_dim ${m.dims.rec_dim}`);
  if (rows !== m.items.count + 1) fail("manifest.json", `items.embeddings_shape has ${rows} rows, expected count + 1 = ${m.items.count + 1}`);
  const bytes = await readFile(path.join(dir, m.items.embeddings));
  if (bytes.byteLength !== rows * dim * 4) {
    fail(m.items.embeddings, `${bytes.byteLength} bytes, expected ${rows} × ${dim} float32 = ${rows * dim * 4}`);
  }
  // Copy into an aligned buffer (a Buffer from the pool may start at an odd offset); little-endian as on x86/ARM.
  const table = new Float32Array(rows * dim);
  new Uint8Array(table.buffer).set(bytes);
  if (!table.every(Number.isFinite)) fail(m.items.embeddings, "holds NaN or infinite values");
  return table;
}

async function loadItems(dir: string, m: Manifest, fail: Fail): Promise<Array<ItemRow | undefined>> {
  const parsed = itemsFileSchema.safeParse(await readJson(dir, m.items.file, fail));
  if (!parsed.success) return fail(m.items.file, describeZodError(parsed.error));
  if (m.ranking && parsed.data.rows.some((r) => r.popularity === undefined)) {
    fail(m.items.file, "the manifest has a ranking head, whose fusion needs every row's popularity; some rows have none");
  }
  if (parsed.data.rows.length !== m.items.count) {
    fail(m.items.file, `${parsed.data.rows.length} rows, manifest items.count is ${m.items.count}`);
  }
  const byRow: Array<ItemRow | undefined> = new Array(m.items.count + 1);
  for (const [i, item] of parsed.data.rows.entries()) {
    if (item.row > m.items.count || byRow[item.row]) fail(m.items.file, `rows[${i}]: row ${item.row} out of range or repeated`);
    byRow[item.row] = item;
  }
  return byRow;
}

async function openSession(dir: string, file: string, config: SessionConfig, fail: Fail): Promise<ort.InferenceSession> {
  try {
    return await createSession(path.join(dir, file), config);
  } catch (e) {
    if (e instanceof DeviceError) throw e;
    return fail(file, `onnxruntime could not load it: ${(e as Error).message}`);
  }
}

type Dim = number | string;
function shapeOf(session: ort.InferenceSession, name: string, side: "input" | "output"): readonly Dim[] | undefined {
  const names = side === "input" ? session.inputNames : session.outputNames;
  const meta = side === "input" ? session.inputMetadata : session.outputMetadata;
  const m = meta[names.indexOf(name)];
  return m && m.isTensor ? m.shape : undefined;
}

/** A fixed dimension must equal the expected value; a symbolic one (a name) matches anything. */
function dimMatches(actual: Dim | undefined, expected: number): boolean {
  return typeof actual !== "number" || actual === expected || actual < 0;
}

/** Names that the runtime knows how to feed; anything else in the graph would be left unfed. */
const KNOWN_INPUT = /^(input_ids|rec_embeds|rec_mask|attention_mask|position_ids|num_logits_to_keep|past_key_values\.\d+\.(key|value))$/;

function checkLlmGraph(m: Manifest, spec: LlmGraphSpec, s: ort.InferenceSession, fail: (reason: string) => never): void {
  const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
  if (!sameList(s.inputNames, spec.inputs)) fail(`graph inputs [${s.inputNames}] differ from the manifest's [${spec.inputs}]`);
  if (!sameList(s.outputNames, spec.outputs)) fail(`graph outputs [${s.outputNames}] differ from the manifest's [${spec.outputs}]`);
  for (const name of s.inputNames) if (!KNOWN_INPUT.test(name)) fail(`unknown graph input ${name}`);
  for (const name of ["input_ids", "rec_embeds", "rec_mask", "attention_mask"]) {
    if (!s.inputNames.includes(name)) fail(`graph has no input ${name}`);
  }
  const { layers, kv_heads, head_dim, vocab, rec_dim } = m.dims;
  for (let i = 0; i < layers; i++) {
    for (const kind of ["key", "value"]) {
      const input = `past_key_values.${i}.${kind}`;
      const shape = shapeOf(s, input, "input");
      if (!shape) fail(`graph has no input ${input} (manifest says ${layers} layers)`);
      if (shape!.length !== 4 || !dimMatches(shape![1], kv_heads) || !dimMatches(shape![3], head_dim)) {
        fail(`${input} has shape [${shape}], expected [batch, ${kv_heads}, past, ${head_dim}]`);
      }
      const meta = s.inputMetadata[s.inputNames.indexOf(input)];
      if (meta?.isTensor && meta.type !== "float32") fail(`${input} is ${meta.type}; this runtime keeps the cache in float32`);
      if (!s.outputNames.includes(`present.${i}.${kind}`)) fail(`graph has no output present.${i}.${kind}`);
    }
  }
  if (s.inputNames.includes(`past_key_values.${layers}.key`)) fail(`graph has more than the manifest's ${layers} layers`);
  const logits = shapeOf(s, "logits", "output");
  if (!logits || logits.length !== 3 || !dimMatches(logits[2], vocab)) fail(`logits has shape [${logits}], expected [batch, seq, ${vocab}]`);
  const rec = shapeOf(s, "rec_embeds", "input");
  if (!rec || rec.length !== 3 || !dimMatches(rec[2], rec_dim)) fail(`rec_embeds has shape [${rec}], expected [batch, seq, ${rec_dim}]`);
}

/** The three fused graphs fit each other and the manifest's dims (names as training/export_fast.py writes them). */
function checkFusedGraphs(m: Manifest, g: Extract<LlmGraphs, { kind: "fused" }>, fail: Fail): void {
  const { hidden, layers, kv_heads, head_dim, vocab, rec_dim } = m.dims;
  const need = (s: ort.InferenceSession, file: string, side: "input" | "output", name: string, rank: number, last?: number) => {
    const shape = shapeOf(s, name, side);
    if (!shape) fail(file, `graph has no ${side} ${name}`);
    if (shape!.length !== rank || (last !== undefined && !dimMatches(shape![rank - 1], last))) {
      fail(file, `${name} has shape [${shape}], expected rank ${rank}${last === undefined ? "" : ` ending in ${last}`}`);
    }
  };
  need(g.embed, g.spec.embed, "input", "input_ids", 2);
  need(g.embed, g.spec.embed, "input", "rec_embeds", 3, rec_dim);
  need(g.embed, g.spec.embed, "input", "rec_mask", 2);
  need(g.embed, g.spec.embed, "output", "inputs_embeds", 3, hidden);
  need(g.decoder, g.spec.decoder, "input", "inputs_embeds", 3, hidden);
  need(g.decoder, g.spec.decoder, "input", "attention_mask", 2);
  need(g.decoder, g.spec.decoder, "output", "hidden_states", 3, hidden);
  for (let i = 0; i < layers; i++) {
    for (const kind of ["key", "value"]) {
      need(g.decoder, g.spec.decoder, "input", `past_key_values.${i}.${kind}`, 4, head_dim);
      need(g.decoder, g.spec.decoder, "output", `present.${i}.${kind}`, 4, head_dim);
      const shape = shapeOf(g.decoder, `past_key_values.${i}.${kind}`, "input")!;
      if (!dimMatches(shape[1], kv_heads)) fail(g.spec.decoder, `past_key_values.${i}.${kind} has ${shape[1]} heads, manifest says ${kv_heads}`);
    }
  }
  if (g.decoder.inputNames.includes(`past_key_values.${layers}.key`)) fail(g.spec.decoder, `graph has more than the manifest's ${layers} layers`);
  need(g.head, g.spec.lm_head, "input", "hidden", 2, hidden);
  need(g.head, g.spec.lm_head, "output", "logits", 2, vocab);
}

function checkSasrecGraph(m: Manifest, s: ort.InferenceSession, fail: (reason: string) => never): void {
  if (!s.inputNames.includes("item_seq")) fail(`graph has no input item_seq (has ${s.inputNames})`);
  const out = shapeOf(s, "user_state", "output");
  if (!out || out.length !== 2 || !dimMatches(out[1], m.dims.rec_dim)) {
    fail(`user_state has shape [${out}], expected [batch, ${m.dims.rec_dim}]`);
  }
}

/** The tiny random-weight model written by `python -m training.tiny_model`, and its parity.json. */
import { createHash } from "node:crypto";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";

export const FIXTURE = path.resolve(import.meta.dirname, "../fixtures/tiny-model");

/**
 * The fused graphs against parity.json's onnxruntime-python reference, which was computed on the
 * machine that exported the fixture. MatMulNBits' int8 kernels (accuracy_level 4) quantize the
 * activations differently per CPU family, so the same files give other logits elsewhere: 0.011–0.021
 * on an AVX2-only machine against the AVX-512 reference (2026-12-03), where fp32 and the
 * quantize_dynamic int8 graph still agree within parity.tolerance (1e-3). The tiny model's top-20
 * logits are 3–5 apart by 0.01–0.1, and a wrong position or splice moves them by ~1.
 */
export const FUSED_CROSS_CPU_TOLERANCE = 0.05;

const top20 = z.object({ ids: z.array(z.number()), values: z.array(z.number()) });
const paritySchema = z.object({
  tolerance: z.number(),
  prompt_text: z.string(),
  history: z.array(z.number()),
  candidates: z.array(z.number()),
  candidate_titles: z.array(z.string()),
  input_ids: z.array(z.number()),
  rec_mask: z.array(z.boolean()),
  slot_items: z.array(z.number()),
  logits_last_top20: top20,
  with_past: z.object({ past_length: z.number(), input_ids: z.array(z.number()), slot_items: z.array(z.number()), logits_last_top20: top20 }),
  greedy: z.object({ steps: z.number(), stop_ids: z.array(z.number()), tokens: z.array(z.number()) }),
  candidate_scores: z.array(z.object({ row: z.number(), title: z.string(), answer_ids: z.array(z.number()), logprob: z.number() })),
  int8: z.object({ logits_last_top20: top20, greedy_tokens: z.array(z.number()) }).nullable(),
  /** The fused graphs' own outputs in onnxruntime-python (training/export_fast.py's SplitDecoder). */
  fused: z
    .object({
      logits_last_top20: top20,
      with_past_logits_last_top20: top20,
      greedy_tokens: z.array(z.number()),
      vs_fp32: z.object({ candidate_logprobs: z.array(z.number()) }),
    })
    .nullable()
    .optional(),
  sasrec: z.object({ item_seq: z.array(z.array(z.number())), user_state: z.array(z.array(z.number())) }),
});
export type Parity = z.infer<typeof paritySchema>;

export function readParity(dir: string): Parity {
  return paritySchema.parse(JSON.parse(readFileSync(path.join(dir, "parity.json"), "utf8")));
}
export const parity: Parity = readParity(FIXTURE);

/** A private copy of the fixture folder (to break files in); removed by the returned cleanup. */
export async function copyFixture(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "reco-model-"));
  await cp(FIXTURE, dir, { recursive: true });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Collects a generation into its tokens and text deltas. */
export async function collect(events: AsyncIterable<{ type: string; delta?: string; tokens?: number[]; reason?: string }>) {
  const deltas: string[] = [];
  let tokens: number[] = [];
  let reason: string | undefined;
  for await (const e of events) {
    if (e.type === "text") deltas.push(e.delta!);
    else ({ tokens = [], reason } = e);
  }
  return { deltas, text: deltas.join(""), tokens, reason };
}

/** Rewrites a file's size and sha256 in a copied model folder's manifest after a test changed the file. */
export async function rehash(dir: string, file: string) {
  const manifestPath = path.join(dir, "manifest.json");
  const m = JSON.parse(readFileSync(manifestPath, "utf8")) as { files: { name: string; bytes: number; sha256: string }[] };
  const bytes = readFileSync(path.join(dir, file));
  const entry = m.files.find((f) => f.name === file)!;
  entry.bytes = bytes.length;
  entry.sha256 = createHash("sha256").update(bytes).digest("hex");
  await writeFile(manifestPath, JSON.stringify(m, null, 2));
}

/**
 * manifest.json of a model version folder (the model-artifact contract in docs/MODEL_FOLDER.md and
 * training/export.py). Validated once here, at the edge; everything downstream trusts the types.
 * Unknown keys are kept out of the type (zod strips them), so an exporter may add fields freely.
 */
import { z } from "zod";

const token = z.object({ token: z.string().min(1), id: z.number().int().nonnegative() });

const llmGraph = z.object({
  file: z.string().min(1),
  inputs: z.array(z.string()).min(1),
  outputs: z.array(z.string()).min(1),
  // "all_positions": logits [B, T, vocab]; "last": logits [B, 1, vocab] (or [B, K, vocab] with num_logits_to_keep).
  logits: z.enum(["all_positions", "last"]),
});

/** The serving graphs cut in three (training/export_fast.py): the splice, the fused decoder body, the head. */
const fusedGraphs = z.object({
  embed: z.string().min(1),
  decoder: z.string().min(1),
  lm_head: z.string().min(1),
  quantization: z.string().optional(),
});

const fileEntry = z.object({
  name: z
    .string()
    .min(1)
    .refine((n) => !n.includes("/") && !n.includes("\\") && n !== "." && n !== "..", "a plain file name"),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "64 lower-case hex digits"),
});

/**
 * The listwise ranking head (training/rank.py): one prefill scores every candidate; see docs/MODEL_FOLDER.md.
 * label_head: the label tokens' logits at the last position; item_head: the logit of `score_id` at each
 * candidate's last token (its closing label), with the request line before the candidates.
 */
const rankingSchema = z.object({
  kind: z.enum(["label_head", "item_head"]),
  score_id: z.number().int().nonnegative().optional(),
  request_first: z.boolean().default(false),
  labels: z.array(z.string().min(1)).min(2),
  label_ids: z.array(z.number().int().nonnegative()).min(2),
  segments: z.object({
    head: z.string(),
    history_item: z.string().includes("{n}"),
    candidates_head: z.string(),
    candidate_item: z.string(),
    candidate_label: z.string().includes("{label}"),
    title_prefix: z.string(),
    creator_prefix: z.string().optional(),
    request_head: z.string(),
    tail: z.string(),
  }),
  title_tokens: z.number().int().positive(),
  hybrid: z.boolean(),
  candidate_order: z.enum(["shuffled", "retriever"]),
  /** Trained with request lines: the app passes what the person asked for (server/recommend/llm.ts, requestLine). */
  requests: z.boolean().default(false),
  fusion: z.object({ sasrec: z.number(), log_popularity: z.number(), beta: z.number() }),
  /** Held-out HR@1 of the fused ranking and of the strongest baseline on the same rows: the app serves the LLM's order only when it wins. */
  validation: z
    .object({ split: z.string(), rows: z.number().int().positive(), fusion_hr1: z.number(), baseline: z.string(), baseline_hr1: z.number() })
    .nullable()
    .optional(),
})
  .refine((r) => r.labels.length === r.label_ids.length, "labels and label_ids differ in length")
  .refine((r) => r.kind !== "item_head" || r.score_id !== undefined, "an item_head needs score_id");

export const manifestSchema = z.object({
  format: z.literal("reco-model-version/1"),
  version: z.string().min(1),
  parent: z.string().nullable(),
  created: z.string(),
  base_model: z.object({ name: z.string(), license: z.string() }),
  dims: z.object({
    hidden: z.number().int().positive(),
    layers: z.number().int().positive(),
    heads: z.number().int().positive(),
    kv_heads: z.number().int().positive(),
    head_dim: z.number().int().positive(),
    vocab: z.number().int().positive(),
    rec_dim: z.number().int().positive(),
  }),
  special_tokens: z.object({
    history_slot: token,
    candidate_slot: token,
    text_slot: token,
    end_of_turn: token,
    eos: token,
    bos: token.nullable().optional(),
    pad: token.nullable().optional(),
  }),
  prompt: z.object({
    domain: z.string(),
    templates: z.array(z.string()).min(1),
    history_item: z.string(),
    candidate_item: z.string(),
    text_only_item: z.string(),
    separator: z.string(),
    max_history: z.number().int().positive(),
    num_candidates: z.number().int().positive(),
  }),
  llm: llmGraph,
  llm_int8: llmGraph.nullable().optional(),
  fused: fusedGraphs.nullable().optional(),
  sasrec: z.object({
    file: z.string().min(1),
    inputs: z.array(z.string()).min(1),
    outputs: z.array(z.string()).min(1),
    max_len: z.number().int().positive(),
  }),
  items: z.object({
    file: z.string().min(1),
    embeddings: z.string().min(1),
    count: z.number().int().positive(),
    embeddings_shape: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  }),
  ranking: rankingSchema.optional(),
  metrics: z.array(z.record(z.string(), z.unknown())),
  files: z.array(fileEntry).min(1),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type LlmGraphSpec = z.infer<typeof llmGraph>;
export type FusedGraphsSpec = z.infer<typeof fusedGraphs>;
export type RankingSpec = z.infer<typeof rankingSchema>;

/** items.json: row index (1-based; row 0 of the embedding table is padding) → external id and title. */
export const itemsFileSchema = z.object({
  count: z.number().int().nonnegative(),
  rows: z.array(
    z.object({
      row: z.number().int().positive(),
      id: z.string(),
      title: z.string(),
      /** Interactions in the training rows (the label head's fusion reads ln(1 + popularity)). */
      popularity: z.number().int().nonnegative().optional(),
      /** Shown after the title in the ranking prompt (segments.creator_prefix + creator), when the head was trained so. */
      creator: z.string().optional(),
    }),
  ),
});
export type ItemRow = z.infer<typeof itemsFileSchema>["rows"][number];

/** Turns a zod error into one line per problem, each with its path in the manifest. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/**
 * model-runtime: in-process inference for Reco on onnxruntime-node. Start reading at runtime.ts
 * (one loaded version and its API) and registry.ts (which version serves); README.md has the tour.
 */
export { ModelRegistry, NoModelError } from "./registry";
export { ModelRuntime, type PromptInput, type RuntimeOptions } from "./runtime";
export { behaviourSlot, createReco, toHybridMessages, type RecoProvider, type RecoProviderSettings } from "./provider";
export { loadModelFolder, ModelFolderError, sha256, type LoadOptions, type ModelFolder, type Precision } from "./model-folder";
export { manifestSchema, type Manifest } from "./manifest";
export { encodePrompt, recommendationMessages, PromptError, type HybridMessage, type PromptPart, type PromptTokens, type SlotKind } from "./prompt";
export type { GenerateOptions, GenerationEvent, FinishReason } from "./generate";
export { TokenTrie, candidateVariants, type CandidateScore, type ChosenCandidate, type ChooseOptions, type RankOptions } from "./constrained";
export type { ScoredItem, TopKOptions } from "./sasrec";
export { labelPrompt, type LabelRankInput, type LabelScore } from "./rank";
export { QueueFullError, FairScheduler, type SchedulerOptions } from "./queue";
export { DeviceError, sessionConfigFromEnv, type Device, type SessionConfig } from "./session";
export { seededRng, type SamplingOptions } from "./sampling";

/**
 * The AI SDK custom provider: a LanguageModelV4 (specificationVersion "v4") backed by ModelRuntime,
 * so a route writes `streamText({ model: reco.languageModel(), messages })` like with any hosted model.
 *
 * Behaviour slots travel as text parts carrying provider options (behaviourSlot() writes one):
 *   { type: "text", text: "[history item 12]", providerOptions: { reco: { slot: "history", row: 12 } } }
 * becomes the history slot of item row 12, so hybrid prompts need no side channel. The text is only a
 * label for logs (the AI SDK drops empty text parts, so it must not be empty).
 * The model id "serving" (the default) resolves the registry's current version at each call, so a
 * promote takes effect on the next request without rebuilding the model object.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
  SharedV4Warning,
} from "@ai-sdk/provider";
import { UnsupportedFunctionalityError } from "@ai-sdk/provider";
import { z } from "zod";
import type { FinishReason, GenerateOptions, GenerationEvent } from "./generate";
import type { HybridMessage, PromptPart } from "./prompt";
import type { ModelRegistry } from "./registry";
import type { ModelRuntime } from "./runtime";

const slotOptionSchema = z.object({ slot: z.enum(["history", "candidate", "text"]), row: z.number().int().nonnegative() });

/** A text part that stands for a behaviour slot holding item `row` (for messages given to streamText). */
export function behaviourSlot(slot: "history" | "candidate", row: number) {
  return { type: "text" as const, text: `[${slot} item ${row}]`, providerOptions: { reco: { slot, row } } };
}

export interface RecoProviderSettings {
  /** Where the serving version comes from (hot-swappable), or one fixed runtime (tests, scripts). */
  registry?: ModelRegistry;
  runtime?: ModelRuntime;
  /** Default cap on generated tokens when a call gives none (default 256). */
  maxOutputTokens?: number;
}

export interface RecoProvider {
  (modelId?: string): LanguageModelV4;
  languageModel(modelId?: string): LanguageModelV4;
}

export function createReco(settings: RecoProviderSettings): RecoProvider {
  if (!settings.registry && !settings.runtime) throw new Error("createReco needs a registry or a runtime");
  const resolve = (modelId: string): ModelRuntime => {
    const runtime = settings.runtime ?? settings.registry!.current();
    if (modelId !== "serving" && modelId !== runtime.version) {
      throw new Error(`model ${modelId} is not loaded (serving ${runtime.version})`);
    }
    return runtime;
  };
  const languageModel = (modelId = "serving") => new RecoLanguageModel(modelId, () => resolve(modelId), settings.maxOutputTokens ?? 256);
  return Object.assign(languageModel, { languageModel });
}

class RecoLanguageModel implements LanguageModelV4 {
  readonly specificationVersion = "v4";
  readonly provider = "reco";
  readonly supportedUrls = {};

  constructor(
    readonly modelId: string,
    private readonly runtime: () => ModelRuntime,
    private readonly defaultMaxTokens: number,
  ) {}

  async doGenerate(options: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    const { messages, generateOptions, warnings } = this.prepare(options);
    const runtime = this.runtime();
    let finish: Extract<GenerationEvent, { type: "finish" }> | undefined;
    for await (const event of runtime.generate(messages, generateOptions)) if (event.type === "finish") finish = event;
    const content: LanguageModelV4Content[] = finish?.text ? [{ type: "text", text: finish.text }] : [];
    return {
      content,
      finishReason: finishReason(finish?.reason ?? "stop"),
      usage: usage(finish?.promptTokens, finish?.tokens.length),
      warnings,
      response: { modelId: runtime.version, timestamp: new Date() },
    };
  }

  async doStream(options: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
    const { messages, generateOptions, warnings } = this.prepare(options);
    const runtime = this.runtime();
    const events = runtime.generate(messages, generateOptions);
    const textId = "text-0";
    let started = false;
    const stream = new ReadableStream<LanguageModelV4StreamPart>({
      start(controller) {
        controller.enqueue({ type: "stream-start", warnings });
        controller.enqueue({ type: "response-metadata", modelId: runtime.version, timestamp: new Date() });
      },
      async pull(controller) {
        try {
          const next = await events.next();
          if (next.done) return controller.close();
          const event = next.value;
          if (event.type === "text") {
            if (!started) controller.enqueue({ type: "text-start", id: textId });
            started = true;
            controller.enqueue({ type: "text-delta", id: textId, delta: event.delta });
          } else {
            if (started) controller.enqueue({ type: "text-end", id: textId });
            controller.enqueue({ type: "finish", finishReason: finishReason(event.reason), usage: usage(event.promptTokens, event.tokens.length) });
          }
        } catch (error) {
          controller.enqueue({ type: "error", error });
          controller.close();
        }
      },
      // The consumer went away (client disconnected): end the generator, which frees the request.
      async cancel() {
        await events.return(undefined);
      },
    });
    return { stream };
  }

  private prepare(options: LanguageModelV4CallOptions) {
    const warnings: SharedV4Warning[] = [];
    const unsupported = (feature: string, given: unknown) => {
      if (given !== undefined) warnings.push({ type: "unsupported", feature });
    };
    unsupported("presencePenalty", options.presencePenalty);
    unsupported("frequencyPenalty", options.frequencyPenalty);
    if (options.tools?.length) warnings.push({ type: "unsupported", feature: "tools" });
    if (options.responseFormat?.type === "json") warnings.push({ type: "unsupported", feature: "responseFormat json" });
    const generateOptions: GenerateOptions = {
      maxNewTokens: options.maxOutputTokens ?? this.defaultMaxTokens,
      temperature: options.temperature,
      topP: options.topP,
      topK: options.topK,
      seed: options.seed,
      stopSequences: options.stopSequences,
      signal: options.abortSignal,
    };
    return { messages: toHybridMessages(options.prompt), generateOptions, warnings };
  }
}

/** AI SDK prompt → chat messages with behaviour slots. Files and tool turns are refused, naming the part. */
export function toHybridMessages(prompt: LanguageModelV4Prompt): HybridMessage[] {
  return prompt.map((message, m): HybridMessage => {
    if (message.role === "system") return { role: "system", content: message.content };
    if (message.role === "tool") throw new UnsupportedFunctionalityError({ functionality: `tool messages (prompt[${m}])` });
    const parts: PromptPart[] = [];
    message.content.forEach((part, p) => {
      if (part.type === "reasoning") return; // earlier reasoning is not replayed to this model
      if (part.type !== "text") throw new UnsupportedFunctionalityError({ functionality: `${part.type} parts (prompt[${m}].content[${p}])` });
      const slot = part.providerOptions?.reco;
      if (slot === undefined) return void parts.push(part.text);
      const parsed = slotOptionSchema.safeParse(slot);
      if (!parsed.success) throw new TypeError(`prompt[${m}].content[${p}].providerOptions.reco: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
      parts.push(parsed.data);
    });
    return { role: message.role, content: parts };
  });
}

function finishReason(reason: FinishReason): LanguageModelV4FinishReason {
  return { unified: reason, raw: reason };
}

function usage(input: number | undefined, output: number | undefined): LanguageModelV4Usage {
  return {
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: undefined },
    outputTokens: { total: output, text: output, reasoning: 0 },
  };
}

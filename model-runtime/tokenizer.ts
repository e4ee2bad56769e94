/**
 * The base model's tokenizer (tokenizer.json, through @huggingface/tokenizers) and its chat template
 * (tokenizer_config.json's `chat_template`, rendered with @huggingface/jinja exactly as transformers'
 * apply_chat_template does), plus a streaming detokenizer that only emits whole characters.
 */
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import { z } from "zod";

export type ChatRole = "system" | "user" | "assistant";
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

const tokenizerConfigSchema = z.object({
  chat_template: z.union([
    z.string(),
    z.array(z.object({ name: z.string(), template: z.string() })),
  ]),
  bos_token: z.string().nullable().optional(),
  eos_token: z.string().nullable().optional(),
});

export class RecoTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly template: Template;
  private readonly templateVars: Record<string, unknown>;
  /** Ids of added special tokens (chat markers, slot tokens): never shown in streamed text. */
  readonly specialIds: ReadonlySet<number>;
  /** Text of every special token, so prompt text that tries to smuggle one in can be refused. */
  readonly specialTexts: readonly string[];

  /** Throws with the field named when tokenizer_config.json has no usable chat template. */
  constructor(tokenizerJson: unknown, tokenizerConfig: unknown) {
    const config = tokenizerConfigSchema.safeParse(tokenizerConfig);
    if (!config.success) {
      throw new Error(`tokenizer_config.json: ${config.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    }
    const raw = config.data.chat_template;
    const source = typeof raw === "string" ? raw : (raw.find((t) => t.name === "default") ?? raw[0])?.template;
    if (!source) throw new Error("tokenizer_config.json: chat_template is empty");
    this.tokenizer = new Tokenizer(tokenizerJson as object, tokenizerConfig as object);
    this.template = new Template(source);
    this.templateVars = { bos_token: config.data.bos_token ?? "", eos_token: config.data.eos_token ?? "" };
    const added = [...this.tokenizer.get_added_tokens_decoder().entries()].filter(([, t]) => t.special);
    this.specialIds = new Set(added.map(([id]) => id));
    this.specialTexts = added.map(([, t]) => t.content);
  }

  /** Token ids of text that already holds its special tokens (a rendered chat template): none are added. */
  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[], { skipSpecial = true } = {}): string {
    if (ids.length === 0) return ""; // the library refuses an empty list
    return this.tokenizer.decode([...ids], { skip_special_tokens: skipSpecial, clean_up_tokenization_spaces: false });
  }

  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  /** The prompt text as the base model was trained to see it (as transformers' apply_chat_template). */
  applyChatTemplate(messages: readonly ChatMessage[], { addGenerationPrompt = true } = {}): string {
    return this.template.render({ ...this.templateVars, messages, add_generation_prompt: addGenerationPrompt });
  }
}

/**
 * Turns generated token ids into text deltas that are always valid text. A byte-level BPE token can
 * end in the middle of a UTF-8 character (decoded as U+FFFD), and some decoders strip a leading
 * space when a token is decoded alone; so each delta is the difference between decoding a short
 * window with and without the newest tokens (the prefix/read-offset scheme of HF text-generation-
 * inference), emitted only once it no longer ends in an incomplete character.
 */
export class StreamingDetokenizer {
  private ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(private readonly tokenizer: RecoTokenizer) {}

  /** Adds one token; returns the text it completes ("" while a character is still incomplete). */
  push(id: number): string {
    this.ids.push(id);
    const before = this.tokenizer.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const after = this.tokenizer.decode(this.ids.slice(this.prefixOffset));
    if (after.length <= before.length || after.endsWith("\uFFFD")) return "";
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    return after.slice(before.length);
  }

  /** Whatever is still held back at the end of generation (an incomplete character is emitted as is). */
  flush(): string {
    const before = this.tokenizer.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const after = this.tokenizer.decode(this.ids.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.ids.length;
    return after.length > before.length ? after.slice(before.length) : "";
  }
}

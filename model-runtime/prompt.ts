/**
 * Hybrid prompts (LLaRA): chat messages whose text is interleaved with behaviour slots. A slot is
 * written as its slot token ([HistoryEmb], [CansEmb]) and holds an item row of item_embeddings.f32;
 * the graph replaces that token's embedding with projector(row vector) where rec_mask is true.
 * A [PH] slot is the text-only form: the token stays, no vector is spliced in.
 *
 * The prompt is rendered through the chat template and tokenized as one string (exactly as training
 * did), then slot tokens are matched to slot rows in order.
 */
import type { ModelFolder } from "./model-folder";
import type { ChatRole } from "./tokenizer";

export type SlotKind = "history" | "candidate" | "text";
export type PromptPart = string | { slot: SlotKind; row: number };

export interface HybridMessage {
  role: ChatRole;
  content: string | readonly PromptPart[];
}

/** Token ids plus, per token, the item row whose vector replaces it (0 = none). */
export interface PromptTokens {
  ids: number[];
  slotRows: number[];
  text: string;
}

export class PromptError extends Error {
  override name = "PromptError";
}

/** Refuses text that carries a special token of its own (it would shift slots or forge a chat turn). */
export function assertPlainText(tokenizer: ModelFolder["tokenizer"], text: string, what: string): string {
  const smuggled = tokenizer.specialTexts.find((t) => text.includes(t));
  if (smuggled) throw new PromptError(`${what} contains the special token ${smuggled}`);
  return text;
}

export function encodePrompt(model: ModelFolder, messages: readonly HybridMessage[], { addGenerationPrompt = true } = {}): PromptTokens {
  const { tokenizer, manifest } = model;
  const slotToken: Record<SlotKind, { token: string; id: number }> = {
    history: manifest.special_tokens.history_slot,
    candidate: manifest.special_tokens.candidate_slot,
    text: manifest.special_tokens.text_slot,
  };
  const slots: Array<{ kind: SlotKind; row: number }> = [];
  const chat = messages.map((message, m) => {
    const parts = typeof message.content === "string" ? [message.content] : message.content;
    const content = parts
      .map((part, p) => {
        if (typeof part === "string") {
          // Text must not carry special tokens of its own (a title or a user's message saying "[CansEmb]"
          // would shift every slot after it, or forge a chat turn).
          return assertPlainText(tokenizer, part, `messages[${m}].content[${p}]`);
        }
        if (part.slot !== "text" && (!Number.isInteger(part.row) || part.row < 1 || part.row > manifest.items.count)) {
          throw new PromptError(`messages[${m}].content[${p}]: item row ${part.row} is not in 1..${manifest.items.count}`);
        }
        slots.push({ kind: part.slot, row: part.slot === "text" ? 0 : part.row });
        return slotToken[part.slot].token;
      })
      .join("");
    return { role: message.role, content };
  });
  const text = tokenizer.applyChatTemplate(chat, { addGenerationPrompt });
  const ids = tokenizer.encode(text);
  const slotIds = new Set(Object.values(slotToken).map((t) => t.id));
  const slotRows = new Array<number>(ids.length).fill(0);
  let next = 0;
  ids.forEach((id, i) => {
    if (!slotIds.has(id)) return;
    const slot = slots[next++];
    if (!slot || slotToken[slot.kind].id !== id) {
      throw new PromptError(`slot token ${i} (id ${id}) does not line up with the prompt's slots: the chat template added or reordered one`);
    }
    slotRows[i] = slot.row;
  });
  if (next !== slots.length) throw new PromptError(`${slots.length} slots in the prompt, ${next} slot tokens after tokenization`);
  return { ids, slotRows, text };
}

/**
 * LLaRA's recommendation prompt from the manifest's templates: history titles each followed by a
 * history slot, candidate titles each followed by a candidate slot, as the user's message.
 * `hybrid: false` gives the text-only form ([PH] slots) used early in the curriculum.
 */
export function recommendationMessages(
  model: ModelFolder,
  { history, candidates, templateIndex = 0, hybrid = true }: { history: readonly number[]; candidates: readonly number[]; templateIndex?: number; hybrid?: boolean },
): HybridMessage[] {
  const p = model.manifest.prompt;
  const template = p.templates[templateIndex];
  if (template === undefined) throw new PromptError(`template ${templateIndex} not in the manifest (it has ${p.templates.length})`);
  const titleOf = (row: number) => {
    const item = model.items[row];
    if (!item) throw new PromptError(`item row ${row} is not in items.json`);
    return item.title;
  };
  // "{title} [HistoryEmb]" → the text before the slot token; the slot itself becomes a PromptPart.
  const itemParts = (rows: readonly number[], pattern: string, kind: SlotKind): PromptPart[] => {
    const slot = kind === "history" ? model.manifest.special_tokens.history_slot.token : model.manifest.special_tokens.candidate_slot.token;
    const ph = model.manifest.special_tokens.text_slot.token;
    const [before, after] = splitOnce(hybrid ? pattern : pattern.replace(slot, ph), hybrid ? slot : ph);
    return rows.flatMap((row, i): PromptPart[] => [
      ...(i > 0 ? [p.separator] : []),
      before.replace("{title}", titleOf(row)),
      hybrid ? { slot: kind, row } : { slot: "text", row: 0 },
      after,
    ]);
  };
  const parts: PromptPart[] = [];
  for (const piece of template.split(/(\{history\}|\{candidates\}|\{n\})/)) {
    if (piece === "{history}") parts.push(...itemParts(history, p.history_item, "history"));
    else if (piece === "{candidates}") parts.push(...itemParts(candidates, p.candidate_item, "candidate"));
    else if (piece === "{n}") parts.push(String(candidates.length));
    else parts.push(piece);
  }
  return [{ role: "user", content: parts.filter((x) => x !== "") }];
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  if (i < 0) throw new PromptError(`prompt item pattern ${JSON.stringify(s)} has no ${sep}`);
  return [s.slice(0, i), s.slice(i + sep.length)];
}

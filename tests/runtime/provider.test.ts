/**
 * The AI SDK provider: `streamText({ model })` and `generateText` from the installed `ai` package run
 * on the runtime and give the same text as calling it directly; behaviour slots ride on text parts.
 */
import { generateText, streamText, type ModelMessage } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { behaviourSlot, createReco, ModelRegistry, ModelRuntime, type HybridMessage } from "@/model-runtime";
import { collect, FIXTURE } from "./fixture";

let registry: ModelRegistry;
let rt: ModelRuntime;
beforeAll(async () => {
  registry = new ModelRegistry({ threads: 1 });
  rt = await registry.serve(FIXTURE);
});
afterAll(() => rt.retire());


describe("createReco (LanguageModelV4)", () => {
  it("implements specification v4", () => {
    const model = createReco({ registry }).languageModel();
    expect(model.specificationVersion).toBe("v4");
    expect(model.provider).toBe("reco");
    expect(model.modelId).toBe("serving");
  });

  it("streams through streamText the same text the runtime generates, with usage", async () => {
    const reco = createReco({ registry });
    const messages: ModelMessage[] = [{ role: "user", content: "Why would I like The Hobbit?" }];
    const direct = await collect(
      rt.generate(
        [
          { role: "system", content: "You recommend books." },
          { role: "user", content: "Why would I like The Hobbit?" },
        ],
        { maxNewTokens: 10, stopTokens: [] },
      ),
    );
    // Stop tokens are the manifest's eos; this random model may emit one early, so compare prefixes.
    const result = streamText({ model: reco(), instructions: "You recommend books.", messages, maxOutputTokens: 10 });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    const text = deltas.join("");
    expect(direct.text.startsWith(text)).toBe(true);
    const usage = await result.usage;
    expect(usage.inputTokens).toBe(rt.encode([{ role: "system", content: "You recommend books." }, { role: "user", content: "Why would I like The Hobbit?" }]).ids.length);
    expect(usage.outputTokens).toBeGreaterThan(0);
    expect(["stop", "length"]).toContain(await result.finishReason);
  });

  it("turns text parts with reco provider options into behaviour slots", async () => {
    const reco = createReco({ runtime: rt });
    const hybrid: HybridMessage[] = [{ role: "user", content: ["I read The Hobbit ", { slot: "history", row: 7 }, ". Say why."] }];
    const direct = await collect(rt.generate(hybrid, { maxNewTokens: 8 }));
    const { text } = await generateText({
      model: reco(),
      messages: [{ role: "user", content: [{ type: "text", text: "I read The Hobbit " }, behaviourSlot("history", 7), { type: "text", text: ". Say why." }] }],
      maxOutputTokens: 8,
    });
    expect(text).toBe(direct.text);
    // The slot really is a slot: one token carries item row 7, and the output depends on it.
    expect(rt.encode(hybrid).slotRows.filter((r) => r === 7)).toHaveLength(1);
    const otherItem = await collect(rt.generate([{ role: "user", content: ["I read The Hobbit ", { slot: "history", row: 8 }, ". Say why."] }], { maxNewTokens: 8 }));
    expect(otherItem.tokens).not.toEqual(direct.tokens);
  });

  it("stops generating when the AI SDK call is aborted, freeing the request", async () => {
    const controller = new AbortController();
    const result = streamText({ model: createReco({ registry })(), prompt: "Tell me about books.", maxOutputTokens: 500, abortSignal: controller.signal });
    let n = 0;
    // AI SDK 7 ends the text stream quietly on abort (no throw); the request must still be freed.
    for await (const _ of result.textStream) if (++n === 2) controller.abort();
    expect(n).toBeGreaterThanOrEqual(2);
    expect(n).toBeLessThan(10);
    await new Promise((r) => setTimeout(r, 20));
    expect(rt.scheduler.stats.active).toBe(0);
  });

  it("answers doGenerate with text, usage and warnings for what it ignores", async () => {
    const model = createReco({ runtime: rt })();
    const result = await model.doGenerate({
      prompt: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
      maxOutputTokens: 4,
      presencePenalty: 0.5,
      tools: [{ type: "function", name: "lookup", inputSchema: { type: "object" } }],
    });
    const direct = await collect(rt.generate([{ role: "user", content: "Hello" }], { maxNewTokens: 4 }));
    expect(result.content).toEqual(direct.text ? [{ type: "text", text: direct.text }] : []);
    expect(result.usage.outputTokens.total).toBe(direct.tokens.length);
    expect(result.warnings.map((w) => ("feature" in w ? w.feature : ""))).toEqual(["presencePenalty", "tools"]);
  });

  it("refuses file parts and tool messages, naming them", async () => {
    const model = createReco({ runtime: rt })();
    await expect(
      model.doGenerate({ prompt: [{ role: "user", content: [{ type: "file", data: "aGk=", mediaType: "text/plain" }] }] } as never),
    ).rejects.toThrow(/file parts \(prompt\[0\]\.content\[0\]\)/);
  });

  it("refuses a bad slot option, naming the part", async () => {
    const model = createReco({ runtime: rt })();
    await expect(
      generateText({ model, messages: [{ role: "user", content: [{ type: "text", text: "[x]", providerOptions: { reco: { slot: "wishlist", row: 1 } } }] }] }),
    ).rejects.toThrow(/prompt\[0\]\.content\[0\]\.providerOptions\.reco/);
  });
});

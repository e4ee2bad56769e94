/**
 * Generation: streaming deltas are valid text, limits and stops hold, seeded sampling repeats,
 * cancellation frees the request, and 16 concurrent generations equal the serial ones token for token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelRuntime, QueueFullError, type PromptTokens } from "@/model-runtime";
import { StreamingDetokenizer } from "@/model-runtime/tokenizer";
import { collect, FIXTURE } from "./fixture";

let rt: ModelRuntime;
beforeAll(async () => {
  rt = await ModelRuntime.load(FIXTURE, { threads: 1, scheduler: { maxActive: 4, maxWaiting: 32 } });
});
afterAll(() => rt.retire());

const prompts = (n: number): PromptTokens[] =>
  Array.from({ length: n }, (_, i) =>
    rt.recommendationPrompt({ history: [1 + (i % 7), 9 + (i % 5), 20 + (i % 3)], candidates: [30, 31 + (i % 9), 2, 3], templateIndex: i % 3 }),
  );

describe("streaming detokenizer", () => {
  it("emits only whole characters when tokens split them into bytes", () => {
    const tok = rt.folder.tokenizer;
    const text = "café 😀 naïve — 日本語";
    const ids = tok.encode(text);
    // The tiny byte-level vocabulary splits é, 😀 and the CJK characters across several tokens.
    expect(ids.some((id) => tok.decode([id]).includes("\uFFFD"))).toBe(true);
    const d = new StreamingDetokenizer(tok);
    const deltas = ids.map((id) => d.push(id));
    deltas.push(d.flush());
    expect(deltas.join("")).toBe(text);
    for (const delta of deltas) expect(delta).not.toContain("\uFFFD");
  });
});

describe("generate", () => {
  it("stops at maxNewTokens with reason length, and the deltas add up to the text", async () => {
    const [prompt] = prompts(1);
    const out = await collect(rt.generate(prompt!, { maxNewTokens: 5, stopTokens: [] }));
    expect(out.tokens).toHaveLength(5);
    expect(out.reason).toBe("length");
    expect(out.text).toBe(rt.folder.tokenizer.decode(out.tokens));
  });

  it("stops at a stop token without emitting it", async () => {
    const [prompt] = prompts(1);
    const free = await collect(rt.generate(prompt!, { maxNewTokens: 6, stopTokens: [] }));
    const stopAt = free.tokens[3]!;
    const stopped = await collect(rt.generate(prompt!, { maxNewTokens: 6, stopTokens: [stopAt] }));
    expect(stopped.reason).toBe("stop");
    expect(stopped.tokens).toEqual(free.tokens.slice(0, free.tokens.indexOf(stopAt)));
  });

  it("cuts the text at a stop sequence, even one that spans tokens", async () => {
    const [prompt] = prompts(1);
    const free = await collect(rt.generate(prompt!, { maxNewTokens: 12, stopTokens: [] }));
    const stop = free.text.slice(3, 6);
    expect(stop.length).toBe(3);
    const cut = await collect(rt.generate(prompt!, { maxNewTokens: 12, stopTokens: [], stopSequences: [stop] }));
    expect(cut.reason).toBe("stop");
    expect(cut.text).toBe(free.text.slice(0, free.text.indexOf(stop)));
  });

  it("emits text held back for a stop sequence that never completed when generation ends", async () => {
    const [prompt] = prompts(1);
    const free = await collect(rt.generate(prompt!, { maxNewTokens: 8, stopTokens: [] }));
    const stopAt = free.tokens[5]!;
    const before = rt.folder.tokenizer.decode(free.tokens.slice(0, free.tokens.indexOf(stopAt)));
    // A stop sequence that starts with the text's last character: that character is held back…
    const neverCompletes = `${before.at(-1)}\u0000never`;
    const out = await collect(rt.generate(prompt!, { maxNewTokens: 8, stopTokens: [stopAt], stopSequences: [neverCompletes] }));
    // …and released when the stop token ends generation.
    expect(out.reason).toBe("stop");
    expect(out.text).toBe(before);
  });

  it("samples reproducibly with a seed, and differently with another", async () => {
    const [prompt] = prompts(1);
    const run = (seed: number) => collect(rt.generate(prompt!, { maxNewTokens: 12, stopTokens: [], temperature: 1.5, topP: 0.95, seed }));
    const [a, b, c] = [await run(1), await run(1), await run(2)];
    expect(a.tokens).toEqual(b.tokens);
    expect(c.tokens).not.toEqual(a.tokens);
  });

  it("keeps prompt + output within the context limit", async () => {
    const [prompt] = prompts(1);
    const tight = new ModelRuntime(rt.folder, { maxContextTokens: prompt!.ids.length + 3 });
    const out = await collect(tight.generate(prompt!, { maxNewTokens: 50, stopTokens: [] }));
    expect(out.tokens).toHaveLength(3);
    expect(out.reason).toBe("length");
    const tooSmall = new ModelRuntime(rt.folder, { maxContextTokens: prompt!.ids.length });
    await expect(collect(tooSmall.generate(prompt!, {}))).rejects.toThrow(/does not fit the context limit/);
  });

  it("refuses bad options", async () => {
    const [prompt] = prompts(1);
    await expect(collect(rt.generate(prompt!, { temperature: -1 }))).rejects.toThrow(/temperature/);
    await expect(collect(rt.generate(prompt!, { maxNewTokens: 0 }))).rejects.toThrow(/maxNewTokens/);
  });

  it("frees the request when aborted mid-stream, and a waiting request then runs", async () => {
    const [p1, p2] = prompts(2);
    const controller = new AbortController();
    const seen: string[] = [];
    const aborted = (async () => {
      for await (const e of rt.generate(p1!, { maxNewTokens: 200, stopTokens: [], signal: controller.signal })) {
        if (e.type === "text") seen.push(e.delta);
        if (seen.length === 3) controller.abort(new Error("client went away"));
      }
    })();
    await expect(aborted).rejects.toThrow("client went away");
    expect(seen.length).toBe(3);
    expect(rt.scheduler.stats).toMatchObject({ active: 0, waiting: 0 });
    const after = await collect(rt.generate(p2!, { maxNewTokens: 3, stopTokens: [] }));
    expect(after.tokens).toHaveLength(3);
  });

  it("frees the request when the consumer stops iterating", async () => {
    const [prompt] = prompts(1);
    for await (const e of rt.generate(prompt!, { maxNewTokens: 100, stopTokens: [] })) if (e.type === "text") break;
    expect(rt.scheduler.stats.active).toBe(0);
  });

  it("removes a request aborted while it waits for admission", async () => {
    const small = await ModelRuntime.load(FIXTURE, { threads: 1, scheduler: { maxActive: 1, maxWaiting: 1 } });
    const [p1, p2, p3] = prompts(3);
    const first = small.generate(p1!, { maxNewTokens: 50, stopTokens: [] });
    await first.next(); // holds the only place
    const controller = new AbortController();
    const waiting = collect(small.generate(p2!, { maxNewTokens: 2, signal: controller.signal }));
    await new Promise((r) => setTimeout(r, 10));
    expect(small.scheduler.stats.waiting).toBe(1);
    // The queue is full: a third request is refused at once instead of piling up.
    await expect(collect(small.generate(p3!, { maxNewTokens: 2 }))).rejects.toThrow(QueueFullError);
    controller.abort(new Error("gave up waiting"));
    await expect(waiting).rejects.toThrow("gave up waiting");
    expect(small.scheduler.stats.waiting).toBe(0);
    await first.return(undefined);
    expect(small.scheduler.stats.active).toBe(0);
    await small.retire();
  });

  // Distinct prompts and seeds give distinct outputs, so a mix-up between requests would show.
  async function concurrentEqualsSerial(runtime: ModelRuntime) {
    const ps = prompts(16);
    const options = (i: number) => ({ maxNewTokens: 12, stopTokens: [], ...(i % 2 ? { temperature: 0.9, topP: 0.9, seed: i } : {}) });
    const serial = [];
    for (const [i, p] of ps.entries()) serial.push((await collect(runtime.generate(p, options(i)))).tokens);
    expect(new Set(serial.map((t) => t.join())).size).toBeGreaterThan(8);
    const parallel = await Promise.all(ps.map((p, i) => collect(runtime.generate(p, options(i))).then((r) => r.tokens)));
    expect(parallel).toEqual(serial);
  }

  it("gives the same tokens for 16 concurrent generations as for the same 16 run one by one", () => concurrentEqualsSerial(rt));

  it("keeps 16 concurrent streams apart on the fused graphs too (prompts sharing cached prefixes)", async () => {
    const fused = await ModelRuntime.load(FIXTURE, { precision: "fused-int8", threads: 1, scheduler: { maxActive: 4, maxWaiting: 32 } });
    try {
      await concurrentEqualsSerial(fused);
    } finally {
      await fused.retire();
    }
  });
});

describe("chunked prefill", () => {
  it("gives the same cache and next-token logits as one pass (fp32), within parity tolerance", async () => {
    const [prompt] = prompts(1);
    expect(prompt!.ids.length).toBeGreaterThan(100);
    expect(rt.folder.llm.precision).toBe("fp32");
    const whole = await new ModelRuntime(rt.folder).prefill(prompt!);
    const chunked = await new ModelRuntime(rt.folder, { prefillChunkTokens: 37 }).prefill(prompt!);
    expect(chunked.cache.length).toBe(prompt!.ids.length);
    expect(Math.max(...whole.last.map((v, i) => Math.abs(v - chunked.last[i]!)))).toBeLessThan(1e-3);
  });
});

describe("batched decoding (opt-in)", () => {
  it("runs concurrent streams in shared passes and gives each the tokens it gets alone (fp32 tiny model)", async () => {
    const batched = new ModelRuntime(rt.folder, { batchDecode: { maxBatch: 8 } });
    // Prompts of different lengths, so the batch mixes cache lengths (left padding is exercised).
    const ps = prompts(8).map((p, i) => ({ ...p, ids: p.ids.slice(0, p.ids.length - i * 3), slotRows: p.slotRows.slice(0, p.ids.length - i * 3) }));
    expect(new Set(ps.map((p) => p.ids.length)).size).toBe(8);
    const options = { maxNewTokens: 10, stopTokens: [] };
    const alone = [];
    for (const p of ps) alone.push((await collect(rt.generate(p, options))).tokens);
    const together = await Promise.all(ps.map((p) => collect(batched.generate(p, options)).then((r) => r.tokens)));
    expect(batched.batcher!.maxBatchSeen).toBeGreaterThan(1);
    expect(together).toEqual(alone);
  });

  it("matches one-row logits within parity tolerance in a mixed-length batch", async () => {
    const batched = new ModelRuntime(rt.folder, { batchDecode: true });
    const [a, b] = prompts(2);
    const short = { ...b!, ids: b!.ids.slice(0, 50), slotRows: b!.slotRows.slice(0, 50) };
    const pa = await rt.prefill(a!);
    const pb = await rt.prefill(short);
    const one = await rt.decoder.forward({ ids: [[7]], cache: pb.cache, logitsToKeep: 1 });
    batched.batcher!.join();
    batched.batcher!.join();
    const [ra, rb] = await Promise.all([batched.batcher!.step(pa.cache, 5), batched.batcher!.step(pb.cache, 7)]);
    batched.batcher!.leave();
    batched.batcher!.leave();
    expect(ra!.cache.length).toBe(a!.ids.length + 1);
    expect(rb!.cache.length).toBe(51);
    expect(Math.max(...one.logits.map((v, i) => Math.abs(v - rb!.last[i]!)))).toBeLessThan(1e-3);
    expect(batched.batcher!.maxBatchSeen).toBe(2);
  });
});

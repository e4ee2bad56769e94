/** The runtime's own ONNX graph (log-softmax, then pick one token per row) runs and matches JS arithmetic. */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { pickLogprobGraph } from "@/model-runtime/onnx-graph";
import { logSoftmax, seededRng } from "@/model-runtime/sampling";

describe("pickLogprobGraph", () => {
  it("computes log softmax(row)[target] for every row", async () => {
    const session = await ort.InferenceSession.create(pickLogprobGraph(), { intraOpNumThreads: 1 });
    expect(session.inputNames).toEqual(["logits", "ids"]);
    const rows = 5;
    const vocab = 1000;
    const rng = seededRng(3);
    const logits = Float32Array.from({ length: rows * vocab }, () => rng() * 40 - 20);
    const targets = [0, 999, 17, 500, 17];
    const out = await session.run({
      logits: new ort.Tensor("float32", logits, [rows, vocab]),
      ids: new ort.Tensor("int64", BigInt64Array.from(targets, BigInt), [rows, 1]),
    });
    const picked = out.picked!.data as Float32Array;
    targets.forEach((t, r) => {
      const want = logSoftmax(logits.subarray(r * vocab, (r + 1) * vocab))[t]!;
      expect(Math.abs(picked[r]! - want)).toBeLessThan(1e-4);
    });
    await session.release();
  });
});

import { describe, expect, it } from "vitest";
import { AppError, errorResponse } from "@/server/http/errors";
import { checkSameOrigin, readJsonBody } from "@/server/http/guards";

const post = (headers: Record<string, string>, body: BodyInit | null = "{}") =>
  new Request("http://reco.test/api/chat", { method: "POST", headers: { host: "reco.test", ...headers }, body });

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (error) {
    return (error as AppError).code;
  }
};

describe("same-origin check", () => {
  it("accepts this site and clients that are not browsers; refuses other sites", () => {
    expect(codeOf(() => checkSameOrigin(post({ origin: "http://reco.test" })))).toBeNull();
    expect(codeOf(() => checkSameOrigin(post({})))).toBeNull(); // curl, a benchmark
    expect(codeOf(() => checkSameOrigin(post({ "sec-fetch-site": "same-origin" })))).toBeNull();
    expect(codeOf(() => checkSameOrigin(post({ origin: "https://evil.example" })))).toBe("forbidden:origin");
    expect(codeOf(() => checkSameOrigin(post({ origin: "http://reco.test.evil.example" })))).toBe("forbidden:origin");
    expect(codeOf(() => checkSameOrigin(post({ origin: "null" })))).toBe("forbidden:origin");
    expect(codeOf(() => checkSameOrigin(post({ "sec-fetch-site": "cross-site" })))).toBe("forbidden:origin");
  });
});

describe("JSON body reader", () => {
  it("reads a body within the limit", async () => {
    expect(await readJsonBody(post({}, JSON.stringify({ a: [1, 2] })), 100)).toEqual({ a: [1, 2] });
  });

  it("refuses a larger body, declared or streamed, and a body that is not JSON", async () => {
    const big = JSON.stringify({ text: "x".repeat(500) });
    await expect(readJsonBody(post({ "content-length": String(big.length) }, big), 100)).rejects.toMatchObject({ code: "payload_too_large:body", status: 413 });
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(50)));
        controller.close();
      },
    });
    const undeclared = new Request("http://reco.test/api/chat", { method: "POST", body: stream, duplex: "half" } as RequestInit);
    await expect(readJsonBody(undeclared, 100)).rejects.toMatchObject({ code: "payload_too_large:body" });
    await expect(readJsonBody(post({}, "{not json"), 100)).rejects.toMatchObject({ code: "bad_request:json", status: 400 });
  });
});

describe("error responses", () => {
  it("answer an AppError with its status, code, message and Retry-After", async () => {
    const response = errorResponse(new AppError("rate_limited:messages", "Too fast.", 9.2));
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("10");
    expect(await response.json()).toEqual({ code: "rate_limited:messages", error: "Too fast." });
  });

  it("never pass an internal error's details to the visitor", async () => {
    const original = console.error;
    console.error = () => {};
    try {
      const response = errorResponse(new Error("ENOENT: no such file /srv/reco/models/demo/decoder.onnx"));
      expect(response.status).toBe(500);
      const body = (await response.json()) as { code: string; error: string };
      expect(body.code).toBe("internal");
      expect(JSON.stringify(body)).not.toMatch(/ENOENT|\/srv|decoder/);
    } finally {
      console.error = original;
    }
  });
});

import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { ROLES, can } from "@/server/auth/access";
import { safeNextPath } from "@/server/auth/next-path";
import { authSecret } from "@/server/auth/secret";

describe("permissions", () => {
  test("each role opens exactly its pages; admins open all", () => {
    const table = Object.fromEntries(
      ROLES.map((role) => [role, (["explanations.review", "insights.view", "models.update", "roles.assign"] as const).filter((p) => can(role, p))]),
    );
    expect(table).toEqual({
      user: [],
      merchandiser: ["explanations.review"],
      product: ["insights.view", "models.update"],
      admin: ["explanations.review", "insights.view", "models.update", "roles.assign"],
    });
  });
});

describe("safeNextPath", () => {
  test.each([
    ["/admin", "/admin"],
    ["/c/abc?x=1", "/c/abc?x=1"],
    ["", "/"],
    [undefined, "/"],
    ["https://evil.example/", "/"],
    ["//evil.example/x", "/"],
    ["/\\evil.example", "/"],
    ["javascript:alert(1)", "/"],
  ])("%s → %s", (value, expected) => {
    expect(safeNextPath(value)).toBe(expected);
  });
});

describe("authSecret", () => {
  test("is generated once, kept owner-readable, and reused; the environment wins", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "reco-secret-"));
    try {
      const file = path.join(dir, "data", "auth-secret");
      const first = authSecret({}, file);
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(authSecret({}, file)).toBe(first);
      expect((await readFile(file, "utf8")).trim()).toBe(first);
      expect((await stat(file)).mode & 0o077).toBe(0);
      const fromEnv = "x".repeat(40);
      expect(authSecret({ RECO_AUTH_SECRET: fromEnv }, file)).toBe(fromEnv);
      expect(() => authSecret({ RECO_AUTH_SECRET: "short" }, file)).toThrow(/at least 32/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

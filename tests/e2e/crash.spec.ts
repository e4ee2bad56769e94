import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { expect, test } from "@playwright/test";
import Database from "better-sqlite3";
import { demoPort } from "../../playwright.config";

// The server is killed (SIGKILL, no clean-up of any kind) while the demo model is writing an
// answer. The open page waits and reconnects; the restarted server marks the answer failed; the
// question and the cards that had streamed are intact, shown as interrupted with no writing cursor.
const port = demoPort + 1;
const databaseFile = "data/e2e-crash.db";
test.use({ baseURL: `http://127.0.0.1:${port}` });
test.setTimeout(600_000);

function startServer(): ChildProcess {
  // Its own process group, so that the kill reaches npm, the set-up step and the Next.js server alike.
  return spawn("npm", ["start", "--", "-p", String(port), "-H", "127.0.0.1"], {
    detached: true,
    stdio: "ignore",
    env: { ...process.env, DATABASE_URL: `file:./${databaseFile}`, RECO_MODEL_DIR: "models/demo" },
  });
}

async function waitUntilServing() {
  await expect
    .poll(() => fetch(`http://127.0.0.1:${port}/`).then((r) => r.status, () => 0), { timeout: 300_000, intervals: [500] })
    .toBe(200);
}

function rows(sql: string, ...params: unknown[]) {
  const db = new Database(databaseFile, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

let server: ChildProcess | null = null;
test.afterAll(() => {
  if (server?.pid) process.kill(-server.pid, "SIGKILL");
});

test("SIGKILL mid-answer: the page reconnects, the answer is kept and marked interrupted", async ({ page }) => {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(databaseFile + suffix, { force: true });
  server = startServer();
  await waitUntilServing();

  await page.goto("/");
  await page.getByTestId("chat-input").fill("Something like The Hunger Games");
  await page.getByTestId("chat-input").press("Enter");
  // Killed while an explanation is being written.
  await expect(page.locator('[data-testid="item-explanation"][aria-busy="true"]').first()).toBeVisible({ timeout: 120_000 });
  process.kill(-server.pid!, "SIGKILL");
  server = null;
  await page.waitForURL(/\/c\//);
  const conversationId = page.url().split("/c/")[1];

  const stored = () => rows("SELECT role, status, parts FROM messages WHERE conversation_id = ? ORDER BY created_at", conversationId);
  expect(stored().map((m) => [m.role, m.status])).toEqual([["user", "complete"], ["assistant", "streaming"]]);
  await expect(page.getByTestId("reconnecting")).toBeVisible({ timeout: 30_000 });

  server = startServer();
  await waitUntilServing();
  // Recovery runs before the first request is served.
  const [question, answer] = stored();
  expect(answer).toMatchObject({ role: "assistant", status: "failed" });
  expect(JSON.parse(question!.parts as string)).toEqual([{ type: "text", text: "Something like The Hunger Games" }]);
  const keptCards = (JSON.parse(answer!.parts as string) as { type: string }[]).filter((p) => p.type === "data-item").length;
  expect(keptCards).toBeGreaterThan(0);

  // The open page found the server again by itself and shows what was stored.
  for (const view of ["reconnected", "reloaded"]) {
    if (view === "reloaded") await page.reload();
    await expect(page.getByTestId("reconnecting")).toHaveCount(0, { timeout: 30_000 });
    await expect(page.getByTestId("user-message")).toHaveText("Something like The Hunger Games");
    await expect(page.getByTestId("interrupted")).toBeVisible();
    await expect(page.getByTestId("item-card")).toHaveCount(keptCards);
    await expect(page.locator('[data-testid="item-explanation"][aria-busy="true"]')).toHaveCount(0);
    await expect(page.getByLabel("Writing the explanation")).toHaveCount(0);
  }

  // And the chat goes on.
  await page.getByTestId("chat-input").fill("Something funny");
  await page.getByTestId("chat-input").press("Enter");
  await expect(page.getByTestId("assistant-message")).toHaveCount(2, { timeout: 60_000 });
  await expect.poll(() => stored().map((m) => m.status), { timeout: 120_000 }).toEqual(["complete", "failed", "complete", "complete"]);
});

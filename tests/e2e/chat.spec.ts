import { expect, test } from "@playwright/test";
import Database from "better-sqlite3";
import { e2eDatabaseFile } from "../../playwright.config";

/** Feedback kinds stored for a recommendation, read straight from the e2e server's database. */
function feedbackKinds(recommendationId: string): string[] {
  const db = new Database(e2eDatabaseFile, { readonly: true });
  try {
    const rows = db.prepare("SELECT kind FROM feedback WHERE recommendation_id = ?").all(recommendationId) as { kind: string }[];
    return rows.map((r) => r.kind).sort();
  } finally {
    db.close();
  }
}

// The whole chat path in a real browser: send a message, watch cards stream in, give a thumbs
// up, reload, and find the history and the feedback both on the page and in the database.
test("chat streams cards, stores feedback, and keeps the history across a reload", async ({ page }) => {
  // Everything below runs under the Content-Security-Policy (proxy.ts): nothing may be blocked.
  const blocked: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
  });
  const home = await page.goto("/");
  const csp = home?.headers()["content-security-policy"] ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(home?.headers()["x-content-type-options"]).toBe("nosniff");
  await expect(page.getByRole("heading", { name: "What would you like to read next?" })).toBeVisible();

  const answer = page.waitForResponse((r) => r.url().endsWith("/api/chat") && r.request().method() === "POST");
  await page.getByTestId("chat-input").fill("Something like The Hobbit, fantasy please");
  await page.getByTestId("chat-input").press("Enter");

  const response = await answer;
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("text/event-stream");

  await expect(page).toHaveURL(/\/c\/[A-Za-z0-9_-]+$/);
  const cards = page.getByTestId("item-card");
  await expect(cards.first()).toBeVisible();
  await expect(cards).toHaveCount(5);
  await expect(page.getByTestId("assistant-message").first()).toContainText("The Hobbit");
  await expect(cards.first().getByTestId("item-explanation")).not.toBeEmpty();

  const first = cards.first();
  const recommendationId = await first.getAttribute("data-recommendation-id");
  const title = await first.getByTestId("item-title").innerText();
  expect(recommendationId).toBeTruthy();
  // Icons are SVG with an accessible name and a tooltip that shows on keyboard focus.
  const thumbsDown = first.getByRole("button", { name: "Not for me: show it less" });
  await expect(thumbsDown.locator("svg")).toHaveCount(1);
  const tooltip = first.getByRole("tooltip", { name: "Not for me: show it less" });
  await expect(tooltip).toHaveCSS("opacity", "0");
  await thumbsDown.focus();
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Tab"); // focus by keyboard, so that :focus-visible applies
  await expect(tooltip).toHaveCSS("opacity", "1");
  await first.getByTestId("feedback-thumbs_up").click();
  await expect(first.getByTestId("feedback-thumbs_up")).toHaveAttribute("aria-pressed", "true");

  // Following the title out is recorded as click-through (the page it opens is not loaded here).
  const popup = page.waitForEvent("popup");
  await first.getByTestId("item-link").click();
  await (await popup).close();
  await expect.poll(() => feedbackKinds(recommendationId!)).toEqual(["click", "thumbs_up"]);

  await page.screenshot({ path: "test-results/chat-page.png", fullPage: true });
  expect(blocked).toEqual([]);
  await page.reload();

  await expect(page.getByTestId("user-message")).toContainText("Something like The Hobbit");
  const reloaded = page.locator(`[data-recommendation-id="${recommendationId}"]`);
  await expect(reloaded.getByTestId("item-title")).toHaveText(title);
  await expect(reloaded.getByTestId("feedback-thumbs_up")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("conversation-list")).toContainText("Something like The Hobbit");

  const db = new Database(e2eDatabaseFile, { readonly: true });
  try {
    expect(feedbackKinds(recommendationId!)).toEqual(["click", "thumbs_up"]);
    const statuses = db
      .prepare(
        `SELECT m.role, m.status FROM messages m JOIN recommendations r ON r.message_id = m.id WHERE r.id = ?
         UNION ALL SELECT role, status FROM messages WHERE role = 'user' AND conversation_id =
           (SELECT m.conversation_id FROM messages m JOIN recommendations r ON r.message_id = m.id WHERE r.id = ?)`,
      )
      .all(recommendationId, recommendationId);
    expect(statuses).toEqual([
      { role: "assistant", status: "complete" },
      { role: "user", status: "complete" },
    ]);
    const like = db
      .prepare("SELECT COUNT(*) AS n FROM interactions WHERE user_id = (SELECT user_id FROM feedback WHERE recommendation_id = ? LIMIT 1) AND kind = 'like' AND source LIKE 'feedback:%'")
      .get(recommendationId) as { n: number };
    expect(like.n).toBe(1);
  } finally {
    db.close();
  }
});

test("an empty or oversized message gets a clear error", async ({ request }) => {
  // No cookie yet: the proxy gives this first request a visitor identity, so validation answers.
  const tooLong = await request.post("/api/chat", {
    data: { id: "conversation-123", message: { id: "m1", role: "user", parts: [{ type: "text", text: "x".repeat(5000) }] } },
  });
  expect(tooLong.status()).toBe(400);
  expect((await tooLong.json()).error).toMatch(/too long \(5000 characters; the limit is 2000\)/);
  const empty = await request.post("/api/chat", {
    data: { id: "conversation-123", message: { id: "m2", role: "user", parts: [{ type: "text", text: "   " }] } },
  });
  expect(empty.status()).toBe(400);
  expect((await empty.json()).error).toBe("The message is empty.");
});

test("the chat route refuses other sites, oversized bodies and too many messages", async ({ request, baseURL }) => {
  const body = (id: string, text = "Something like Dune") => ({ id: "conversation-limits", message: { id, role: "user", parts: [{ type: "text", text }] } });
  const foreign = await request.post("/api/chat", { data: body("f1"), headers: { origin: "https://evil.example" } });
  expect(foreign.status()).toBe(403);
  expect(await foreign.json()).toMatchObject({ code: "forbidden:origin" });

  const huge = await request.post("/api/chat", { data: body("h1", "x".repeat(100_000)), headers: { origin: baseURL! } });
  expect(huge.status()).toBe(413);

  // 20 messages a minute by default: the 21st is refused with the time to wait.
  for (let i = 0; i < 20; i++) {
    const ok = await request.post("/api/chat", { data: body(`m${i}`), headers: { origin: baseURL! } });
    expect(ok.status()).toBe(200);
    await ok.body(); // the whole answer, so that no answer is still being written
  }
  const tooFast = await request.post("/api/chat", { data: body("m20"), headers: { origin: baseURL! } });
  expect(tooFast.status()).toBe(429);
  expect(Number(tooFast.headers()["retry-after"])).toBeGreaterThan(0);
  expect(await tooFast.json()).toMatchObject({ code: "rate_limited:messages" });
});

test("another visitor's conversation is not found (404), for the page and for its stored messages", async ({ browser, baseURL }) => {
  const owner = await browser.newContext({ baseURL });
  const stranger = await browser.newContext({ baseURL });
  try {
    const page = await owner.newPage();
    await page.goto("/");
    await page.getByTestId("chat-input").fill("Something like Dune");
    await page.getByTestId("chat-input").press("Enter");
    await expect(page.getByTestId("item-card").first()).toBeVisible();
    const url = page.url();

    const other = await stranger.newPage();
    const response = await other.goto(url);
    expect(response?.status()).toBe(404);
    await expect(other.getByRole("heading", { name: "Conversation not found" })).toBeVisible();
    const api = await stranger.request.get(url.replace("/c/", "/api/conversations/"));
    expect(api.status()).toBe(404);
    // The owner still has it.
    expect((await page.reload())?.status()).toBe(200);
    await expect(page.getByTestId("user-message")).toHaveText("Something like Dune");
  } finally {
    await owner.close();
    await stranger.close();
  }
});

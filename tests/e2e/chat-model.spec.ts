import { expect, test } from "@playwright/test";
import Database from "better-sqlite3";
import { modelDatabaseFile, modelPort } from "../../playwright.config";

/** Statuses of a conversation's messages in order, from the model server's database. */
function messageStatuses(conversationUrl: string): string[] {
  const id = conversationUrl.split("/c/")[1];
  const db = new Database(modelDatabaseFile, { readonly: true });
  try {
    const rows = db.prepare("SELECT status FROM messages WHERE conversation_id = ? ORDER BY created_at").all(id) as { status: string }[];
    return rows.map((r) => r.status);
  } finally {
    db.close();
  }
}

// With a language model serving, each card arrives first with its explanation still being
// written, and the text streams into the same card until it is done.
test.use({ baseURL: `http://127.0.0.1:${modelPort}` });

test("the model's explanations stream into the cards", async ({ page }) => {
  await page.goto("/");
  // The tiny model knows 40 goodbooks titles; The Hunger Games is its first.
  await page.getByTestId("chat-input").fill("Something like The Hunger Games");
  await page.getByTestId("chat-input").press("Enter");

  const cards = page.getByTestId("item-card");
  await expect(cards.first()).toBeVisible();
  // Seen mid-stream: a card whose explanation is still being written.
  await expect(page.locator('[data-testid="item-explanation"][aria-busy="true"]').first()).toBeAttached();
  await expect(cards).toHaveCount(5);
  await expect(page.locator('[data-testid="item-explanation"][aria-busy="true"]')).toHaveCount(0, { timeout: 60_000 });
  for (const explanation of await page.getByTestId("item-explanation").all()) await expect(explanation).not.toBeEmpty();
  await expect(page.getByTestId("notice")).toHaveText(/^Ranked and explained by the language model tiny-random\.$/);

  // The stored answer is the finished one.
  const texts = await page.getByTestId("item-explanation").allInnerTexts();
  await page.reload();
  await expect(page.getByTestId("item-explanation")).toHaveText(texts);
});

test("an answer stopped mid-stream is kept, marked as interrupted", async ({ page }) => {
  await page.goto("/");
  await page.getByTestId("chat-input").fill("Something like Twilight");
  await page.getByTestId("chat-input").press("Enter");
  await expect(page.getByTestId("item-card").first()).toBeVisible();
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(page.getByTestId("send")).toBeVisible();

  // The server notices the closed stream at its next write and stores what it had as failed.
  const conversation = page.url();
  await expect.poll(() => messageStatuses(conversation)).toEqual(["complete", "failed"]);
  await page.reload();
  await expect(page.getByTestId("interrupted")).toHaveCount(1);
  await expect(page.getByTestId("user-message")).toHaveText("Something like Twilight");
  await expect(page.getByTestId("item-card").first()).toBeVisible();
});

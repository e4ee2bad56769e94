import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import Database from "better-sqlite3";
import { demoDatabaseFile, demoPort } from "../../playwright.config";

// The shipped demo model (models/demo, built by the set-up step from demo/goodbooks-model) on the
// whole path: a message → cards ranked by the real LLM, explanations written by it → a thumbs up →
// rows in the database. On 2 CPU cores one answer takes about a minute, hence the long timeouts.
test.use({ baseURL: `http://127.0.0.1:${demoPort}` });
test.setTimeout(300_000);

/** Statuses of a conversation's messages in order, from the demo server's database. */
function messageStatuses(conversationUrl: string): string[] {
  const id = conversationUrl.split("/c/")[1];
  const db = new Database(demoDatabaseFile, { readonly: true });
  try {
    const rows = db.prepare("SELECT status FROM messages WHERE conversation_id = ? ORDER BY created_at").all(id) as { status: string }[];
    return rows.map((r) => r.status);
  } finally {
    db.close();
  }
}

const demoManifest = JSON.parse(readFileSync("models/demo/manifest.json", "utf8")) as {
  version: string;
  ranking?: { validation?: { fusion_hr1: number; baseline_hr1: number } | null };
};
const demoVersion = demoManifest.version;
// The app orders the cards by the model only where its ranking beat the baseline on held-out rows.
const validation = demoManifest.ranking?.validation;
const modelRanks = validation ? validation.fusion_hr1 > validation.baseline_hr1 : false;

test("the demo model explains (and ranks, where validated), and a thumbs up becomes training data", async ({ page }) => {
  await page.goto("/");
  await page.getByTestId("chat-input").fill("Something like The Hunger Games, but not too long");
  await page.getByTestId("chat-input").press("Enter");

  const cards = page.getByTestId("item-card");
  await expect(cards.first()).toBeVisible({ timeout: 120_000 });
  await expect(cards).toHaveCount(5, { timeout: 120_000 });
  await expect(page.locator('[data-testid="item-explanation"][aria-busy="true"]')).toHaveCount(0, { timeout: 240_000 });
  await expect(page.getByTestId("notice")).toHaveText(
    modelRanks
      ? `Ranked and explained by the language model ${demoVersion}.`
      : new RegExp(`^Ranked by the baseline recommender and explained by the language model ${demoVersion}, which does not rank here: `),
  );
  // Every card got its explanation (its wording and length are the model's business, not the test's).
  for (const explanation of await page.getByTestId("item-explanation").all()) await expect(explanation).not.toBeEmpty();

  const first = cards.first();
  const recommendationId = await first.getAttribute("data-recommendation-id");
  await first.getByTestId("feedback-thumbs_up").click();
  await expect(first.getByTestId("feedback-thumbs_up")).toHaveAttribute("aria-pressed", "true");

  const db = new Database(demoDatabaseFile, { readonly: true });
  try {
    await expect.poll(() => db.prepare("SELECT kind FROM feedback WHERE recommendation_id = ?").all(recommendationId))
      .toEqual([{ kind: "thumbs_up" }]);
    const stored = db.prepare("SELECT model_version, explanation, rank FROM recommendations WHERE message_id = "
      + "(SELECT message_id FROM recommendations WHERE id = ?) ORDER BY rank").all(recommendationId) as
      { model_version: string; explanation: string; rank: number }[];
    expect(stored.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5]);
    for (const r of stored) {
      if (modelRanks) expect(r.model_version).toBe(demoVersion);
      else expect(r.model_version).toMatch(/^(baseline:|sasrec$)/);
      expect(r.explanation.trim()).not.toBe("");
    }
    const like = db.prepare(
      "SELECT COUNT(*) AS n FROM interactions i JOIN recommendations r ON r.item_id = i.item_id "
      + "WHERE r.id = ? AND i.kind = 'like' AND i.source LIKE 'feedback:%'").get(recommendationId) as { n: number };
    expect(like.n).toBe(1);
  } finally {
    db.close();
  }
});

// Here rather than on the tiny model: its whole answer can finish before a click lands; the real
// model's explanations take seconds each.
test("an answer stopped mid-stream is kept, marked as interrupted", async ({ page }) => {
  await page.goto("/");
  await page.getByTestId("chat-input").fill("Something like Twilight");
  await page.getByTestId("chat-input").press("Enter");
  await expect(page.getByTestId("item-card").first()).toBeVisible({ timeout: 120_000 });
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

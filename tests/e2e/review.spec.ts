import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import Database from "better-sqlite3";
import { e2eDatabaseFile } from "../../playwright.config";

// A merchandiser edits an explanation the chat showed, and the chat then serves the edited text for
// that item and reason; the item's audit trail says who changed it. The role comes from the CLI.

const PASSWORD = "correct horse battery staple";

test("a merchandiser edits an explanation and the chat then shows the edited text", async ({ browser }) => {
  test.setTimeout(120_000);
  // A reader's chat: the cards and their texts.
  const reader = await (await browser.newContext()).newPage();
  await reader.goto("/");
  await reader.getByTestId("chat-input").fill("Something like The Hobbit");
  await reader.getByTestId("chat-input").press("Enter");
  await expect(reader.getByTestId("item-card")).toHaveCount(5);
  const card = reader.getByTestId("item-card").first();
  const itemTitle = await card.getByTestId("item-title").innerText();
  const recommendationId = await card.getAttribute("data-recommendation-id");
  const db = new Database(e2eDatabaseFile, { readonly: true });
  const shown = db.prepare("SELECT item_id AS itemId, reason, explanation FROM recommendations WHERE id = ?").get(recommendationId) as {
    itemId: number;
    reason: string;
    explanation: string;
  };
  db.close();

  // A merchandiser: signs up, gets the role from the CLI, edits that text in the queue.
  const email = `merch-${Date.now()}@e2e.test`;
  const merch = await (await browser.newContext()).newPage();
  await merch.goto("/sign-up");
  await merch.getByLabel("Email").fill(email);
  await merch.getByLabel("Password").fill(PASSWORD);
  await merch.getByRole("button", { name: "Create account" }).click();
  await expect(merch.getByTestId("account-role")).toHaveText("User");
  execFileSync("npm", ["run", "-s", "users", "--", "set-role", email, "merchandiser"], { env: { ...process.env, DATABASE_URL: `file:./${e2eDatabaseFile}` } });
  await merch.reload();
  await merch.getByRole("link", { name: "Review explanations" }).click();
  await merch.getByLabel("Item").fill(itemTitle);
  await merch.getByRole("button", { name: "Filter" }).click();
  const row = merch.locator(`[data-testid="review-row"][data-item-id="${shown.itemId}"][data-reason="${shown.reason.replace(/"/g, '\\"')}"]`);
  await expect(row.getByTestId("review-text")).toHaveText(shown.explanation);
  await expect(row.getByTestId("review-status")).toHaveText("pending");
  await row.getByRole("button", { name: "Edit" }).click();
  const edited = `Merchandiser's note ${Date.now()}: a cosy quest with dragons.`;
  await row.getByRole("textbox").fill(edited);
  await row.getByRole("button", { name: "Save edit" }).click();
  await expect(merch.getByRole("status")).toContainText("1 text edited");
  await expect(row.getByTestId("review-status")).toHaveText("edited");
  await expect(row).toContainText(edited);

  // The same request in a new chat: that card now carries the edited text.
  await reader.goto("/");
  await reader.getByTestId("chat-input").fill("Something like The Hobbit");
  await reader.getByTestId("chat-input").press("Enter");
  await expect(reader.getByTestId("item-card")).toHaveCount(5);
  await expect(reader.getByTestId("item-card").filter({ hasText: itemTitle }).getByTestId("item-explanation")).toHaveText(edited);

  // The item's audit trail: who, what, when.
  await merch.goto(`/review/items/${shown.itemId}`);
  const entry = merch.getByTestId("audit-entry").first();
  await expect(entry).toContainText(email);
  await expect(entry).toContainText(edited);
  await expect(entry.getByTestId("review-status")).toHaveText("edited");
});

import { expect, test } from "@playwright/test";
import { modelPort } from "../../playwright.config";

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
  // The fixture's random ranking head states no validation: the baseline orders the cards, the model explains them.
  await expect(page.getByTestId("notice")).toHaveText(
    /^Ranked by the baseline recommender and explained by the language model tiny-random, which does not rank here: its ranking was not validated against a baseline\.$/,
  );

  // The stored answer is the finished one.
  const texts = await page.getByTestId("item-explanation").allInnerTexts();
  await page.reload();
  await expect(page.getByTestId("item-explanation")).toHaveText(texts);
});

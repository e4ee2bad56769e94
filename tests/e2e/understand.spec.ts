import { type Page, expect, test } from "@playwright/test";
import Database from "better-sqlite3";
import { e2eDatabaseFile } from "../../playwright.config";

// Request understanding in a real browser on the baseline server (RECO_MODEL_DIR=off): a bare
// title, a negation and a reference to an earlier card each change the cards as they should.

type StoredCard = { rank: number; itemId: number; title: string; genres: string | null; reason: string };

/** The cards of the latest answer, from the e2e server's database. */
function latestCards(): StoredCard[] {
  const db = new Database(e2eDatabaseFile, { readonly: true });
  try {
    return db
      .prepare(
        `SELECT r.rank, r.item_id AS itemId, i.title, i.genres, r.reason FROM recommendations r JOIN items i ON i.id = r.item_id
         WHERE r.message_id = (SELECT message_id FROM recommendations ORDER BY created_at DESC LIMIT 1) ORDER BY r.rank`,
      )
      .all() as StoredCard[];
  } finally {
    db.close();
  }
}

async function send(page: Page, text: string, answers: number) {
  await page.getByTestId("chat-input").fill(text);
  await page.getByTestId("chat-input").press("Enter");
  const answer = page.getByTestId("assistant-message").nth(answers - 1);
  await expect(answer.getByTestId("item-card")).toHaveCount(5);
  await expect(page.getByTestId("thinking")).toHaveCount(0);
  return answer;
}

test("a bare title, a negation and a reference to an earlier card each change the cards", async ({ page }) => {
  await page.goto("/");

  // A bare title, no cue word: the answer is built around Dune, not the most popular books.
  const bare = await send(page, "Dune", 1);
  await expect(bare.getByTestId("understood-using")).toHaveText("Dune");
  const duneCards = latestCards();
  expect(duneCards.map((c) => c.title)).not.toContain("Dune (Dune Chronicles #1)");
  expect(duneCards.every((c) => c.reason.includes("Dune"))).toBe(true);

  // A negation excludes what it names and nothing else: Dune stays the seed, science fiction goes.
  const negated = await send(page, "like Dune but no science fiction", 2);
  await expect(negated.getByTestId("understood-using")).toHaveText("Dune");
  await expect(negated.getByTestId("understood-excluding")).toHaveText("science fiction");
  const noSciFi = latestCards();
  expect(noSciFi.every((c) => !(c.genres ?? "").includes("|science-fiction|"))).toBe(true);

  // "the second one" is the second card of the previous answer, by its stored rank.
  const second = noSciFi.find((c) => c.rank === 2)!;
  const referred = await send(page, "more like the second one", 3);
  await expect(referred.getByTestId("understood-using")).toHaveText(second.title.replace(/\s*\([^)]*#[^)]*\)\s*$/, ""));
  const moreLikeIt = latestCards();
  expect(moreLikeIt.map((c) => c.itemId)).not.toContain(second.itemId);
  expect(moreLikeIt.map((c) => c.itemId)).not.toEqual(noSciFi.map((c) => c.itemId));
  await page.screenshot({ path: "test-results/understood.png", fullPage: true });
});

test("a title two books share is asked about, and the chip picked answers", async ({ page }) => {
  await page.goto("/");
  await page.getByTestId("chat-input").fill("something like Feed");
  await page.getByTestId("chat-input").press("Enter");
  const chips = page.getByTestId("suggestions").getByRole("button");
  await expect(chips).toHaveCount(2);
  await expect(page.getByTestId("item-card")).toHaveCount(0);
  await page.screenshot({ path: "test-results/which-one.png" });

  await chips.filter({ hasText: "Mira Grant" }).click();
  const answer = page.getByTestId("assistant-message").nth(1);
  await expect(answer.getByTestId("item-card")).toHaveCount(5);
  await expect(answer.getByTestId("understood-using")).toHaveText("Feed");
  // The question's chips are spent once answered.
  await expect(page.getByTestId("assistant-message").first().getByTestId("suggestions").getByRole("button").first()).toBeDisabled();
});

import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { e2eDatabaseFile } from "../../playwright.config";

// The product team's page on the production build: after a reader's chat and a thumbs up, the
// figures, the charts and the per-version table are there; a range with no activity says what to do.

test("a product user sees feedback figures, charts and versions at /insights", async ({ browser }) => {
  test.setTimeout(120_000);
  const reader = await (await browser.newContext()).newPage();
  await reader.goto("/");
  await reader.getByTestId("chat-input").fill("Something like Pride and Prejudice");
  await reader.getByTestId("chat-input").press("Enter");
  await expect(reader.getByTestId("item-card")).toHaveCount(5);
  await reader.getByTestId("item-card").first().getByTestId("feedback-thumbs_up").click();
  await expect(reader.getByTestId("item-card").first().getByTestId("feedback-thumbs_up")).toHaveAttribute("aria-pressed", "true");

  const email = `product-${Date.now()}@e2e.test`;
  const product = await (await browser.newContext()).newPage();
  await product.goto("/sign-up");
  await product.getByLabel("Email").fill(email);
  await product.getByLabel("Password").fill("correct horse battery staple");
  await product.getByRole("button", { name: "Create account" }).click();
  await expect(product.getByTestId("account-role")).toHaveText("User");
  execFileSync("npm", ["run", "-s", "users", "--", "set-role", email, "product"], { env: { ...process.env, DATABASE_URL: `file:./${e2eDatabaseFile}` } });
  await product.reload();
  await product.getByRole("link", { name: "Insights" }).click();
  await expect(product).toHaveURL(/\/insights$/);

  const stats = product.getByTestId("stat-card");
  await expect(stats).toHaveCount(8);
  // Some positive feedback was given today: the rate is a percentage above zero.
  const positive = await stats.filter({ hasText: "Positive-feedback rate" }).getByTestId("stat-value").innerText();
  expect(Number(positive.replace(/[^\d.]/g, ""))).toBeGreaterThan(0);
  await expect(stats.filter({ hasText: "First card, p50" }).getByTestId("stat-value")).toHaveText(/^\d+ ms$/);
  await expect(product.getByTestId("chart")).toHaveCount(3);
  // Each chart draws its data: today's point at least.
  for (const chart of await product.getByTestId("chart").all()) await expect(chart.locator(".recharts-line-dots circle").first()).toBeVisible();
  await expect(product.getByTestId("versions").locator("tbody tr").first()).toBeVisible();
  await expect(product.getByTestId("updates-empty")).toBeVisible();

  // A range before any activity: the empty state, not empty charts.
  await product.goto("/insights?from=2020-01-01&to=2020-01-31");
  await expect(product.getByTestId("insights-empty")).toBeVisible();
  await product.goto("/insights?from=garbage");
  await expect(product.getByRole("alert").filter({ hasText: "YYYY-MM-DD" })).toBeVisible();
});

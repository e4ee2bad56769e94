import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { e2eDatabaseFile } from "../../playwright.config";

// The product team's page on the production build: after a reader's chat and a thumbs up, the
// figures, the charts and the per-version table are there; a range with no activity says what to do.

/** A new account given the product role from the command line, signed in on its own page. */
async function productUser(browser: Browser, email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-up");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("account-role")).toHaveText("User");
  execFileSync("npm", ["run", "-s", "users", "--", "set-role", email, "product"], { env: { ...process.env, DATABASE_URL: `file:./${e2eDatabaseFile}` } });
  await page.reload();
  return page;
}

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
  const product = await productUser(browser, email);
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

  // Model versions: the set-up step registered the demo model (serving); the tiny fixture comes from the CLI.
  execFileSync("npm", ["run", "-s", "models", "--", "register", "tests/fixtures/tiny-model"], { env: { ...process.env, DATABASE_URL: `file:./${e2eDatabaseFile}` } });
  await product.reload();
  const versions = product.getByTestId("model-versions");
  const tiny = versions.locator('tr[data-version="tiny-random"]');
  const demo = versions.locator("tbody tr").filter({ has: product.getByTestId("version-status").getByText("serving", { exact: true }) });
  const demoName = await demo.getAttribute("data-version");
  expect(demoName).toMatch(/^demo-/);
  await expect(tiny.getByTestId("version-status")).toHaveText("candidate");
  // It states no offline HR@1 against the demo's: refused until a reason is given.
  await tiny.getByRole("button", { name: "Promote" }).click();
  await expect(tiny.getByRole("alert")).toContainText("reason");
  await tiny.getByLabel("Reason to promote tiny-random anyway").fill("e2e: checking promotion");
  await tiny.getByRole("button", { name: "Promote anyway" }).click();
  await expect(tiny.getByTestId("version-status")).toHaveText("serving");
  const demoRow = versions.locator(`tr[data-version="${demoName}"]`);
  await expect(demoRow.getByTestId("version-status")).toHaveText("retired");
  await expect(product.getByTestId("model-events").locator("li").first()).toContainText("e2e: checking promotion");
  // One click restores the demo model.
  await demoRow.getByRole("button", { name: "Restore" }).click();
  await expect(demoRow.getByTestId("version-status")).toHaveText("serving");
  await expect(tiny.getByTestId("version-status")).toHaveText("retired");
  await expect(product.getByTestId("model-events").locator("li").first()).toContainText(`restored ${demoName}`);
  await expect(product.getByTestId("model-events").locator("li").first()).toContainText(email);

  // A range before any activity: the empty state, not empty charts.
  await product.goto("/insights?from=2020-01-01&to=2020-01-31");
  await expect(product.getByTestId("insights-empty")).toBeVisible();
  await product.goto("/insights?from=garbage");
  await expect(product.getByRole("alert").filter({ hasText: "YYYY-MM-DD" })).toBeVisible();
});

// The learning loop end to end on the tiny fixture model (tests/fixtures/tiny-model, which carries its
// training/ folder): readers' recent interactions → an incremental update from the button → progress to
// done → the candidate is promoted → the earlier version is restored.
test("a product user runs an incremental update, promotes the candidate, then rolls back", async ({ browser }) => {
  test.setTimeout(420_000);
  const env = { ...process.env, DATABASE_URL: `file:./${e2eDatabaseFile}` };
  const cli = (...args: string[]) => execFileSync("npm", ["run", "-s", ...args], { env, encoding: "utf8" });
  if (!cli("models", "--", "list").includes("tiny-random")) cli("models", "--", "register", "tests/fixtures/tiny-model");
  if (!/^serving\s+tiny-random/m.test(cli("models", "--", "list"))) cli("models", "--", "promote", "tiny-random", "--reason", "e2e: update test");
  // What readers did since: 8 readers who each liked 6 of the model's 40 books, a few minutes ago.
  const dir = mkdtempSync(path.join(tmpdir(), "reco-e2e-"));
  const now = Math.floor(Date.now() / 1000);
  const run = Date.now().toString(36);
  const lines = ["user,item,timestamp,rating"];
  for (let u = 0; u < 8; u++) for (let k = 0; k < 6; k++) lines.push(`reader-${run}-${u},${((3 * u + k) % 40) + 1},${now - 300 + 10 * u + k},5`);
  writeFileSync(path.join(dir, "recent.csv"), `${lines.join("\n")}\n`);
  cli("import", "--", path.join(dir, "recent.csv"), "--catalog", "goodbooks");

  const product = await productUser(browser, `updater-${run}@e2e.test`);
  await product.goto("/insights");

  await product.getByRole("button", { name: "Run incremental update" }).click();
  const progress = product.getByTestId("job-progress");
  await expect(progress).toHaveAttribute("data-status", "running");
  // The bar moves through the stages and reaches done.
  await expect(progress.getByRole("progressbar")).toHaveAttribute("aria-valuenow", /^[1-9]\d*$/, { timeout: 120_000 });
  await expect(progress).toHaveAttribute("data-status", "succeeded", { timeout: 360_000 });
  await expect(progress.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
  const outcome = await product.getByTestId("job-outcome").innerText();
  const name = /candidate (update-[\d-]+)/.exec(outcome)?.[1];
  expect(name).toBeTruthy();
  // The history lists the job with its stages' log.
  await product.reload();
  const history = product.getByTestId("update-status").first();
  await expect(history).toHaveText("succeeded");
  await expect(product.locator("details").filter({ hasText: "Log" }).first()).toContainText("package: done");

  const versions = product.getByTestId("model-versions");
  const candidate = versions.locator(`tr[data-version="${name}"]`);
  const tiny = versions.locator('tr[data-version="tiny-random"]');
  await expect(candidate.getByTestId("version-status")).toHaveText("candidate");
  await candidate.getByRole("button", { name: "Promote" }).click();
  await expect(candidate.getByTestId("version-status")).toHaveText("serving");
  await expect(tiny.getByTestId("version-status")).toHaveText("retired");
  await tiny.getByRole("button", { name: "Restore" }).click();
  await expect(tiny.getByTestId("version-status")).toHaveText("serving");
  await expect(candidate.getByTestId("version-status")).toHaveText("retired");
  await expect(product.getByTestId("model-events").locator("li").first()).toContainText("restored tiny-random");
  rmSync(dir, { recursive: true, force: true });
});

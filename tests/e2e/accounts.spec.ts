import { expect, test, type Page } from "@playwright/test";
import Database from "better-sqlite3";
import { e2eDatabaseFile } from "../../playwright.config";

// Signing in and out as a person would: a returning reader signs out, chats as a guest, is sent to
// sign in by a page that needs an account, mistypes the password, signs in, lands back on that
// page and finds the guest chat in the account. Then ten failures lock the email.

const PASSWORD = "correct horse battery staple";

function count(sql: string, ...params: unknown[]): number {
  const db = new Database(e2eDatabaseFile, { readonly: true });
  try {
    return Number((db.prepare(sql).get(...params) as { n: number }).n);
  } finally {
    db.close();
  }
}

async function signIn(page: Page, email: string, password: string, outcome: "refused" | "signed in") {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  const answered = page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/sign-in");
  const button = page.getByRole("button", { name: "Sign in" });
  await button.click();
  await answered;
  if (outcome === "refused") {
    // React resets the form when the action's transition ends (the button is enabled again): only
    // then may the next attempt type, or the reset would clear what it typed.
    await expect(button).toBeEnabled();
    await expect(page.getByTestId("sign-in-form").getByRole("alert")).toBeVisible();
    await expect(page).toHaveURL(/\/sign-in/);
  }
}

test("sign out, chat as a guest, sign in through ?next=: the chat moves to the account; ten failures lock the email", async ({ page }) => {
  const email = `returning-${Date.now()}@e2e.test`;
  await page.goto("/sign-up");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("account-role")).toHaveText("User");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByTestId("account-menu")).toContainText("guest");
  await expect(page.getByText("No conversations yet.")).toBeVisible();

  // As a guest: a chat.
  await page.getByTestId("chat-input").fill("Something like Dune");
  await page.getByTestId("chat-input").press("Enter");
  await expect(page.getByTestId("item-card")).toHaveCount(5);
  const conversationId = new URL(page.url()).pathname.split("/").pop()!;

  // A page that needs an account sends the guest to sign in, and back after.
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fadmin$/);
  await signIn(page, email, "not the password", "refused");
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await signIn(page, email, PASSWORD, "signed in");
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible(); // a user's role does not open /admin
  expect(count("SELECT count(*) AS n FROM conversations c JOIN users u ON u.id = c.user_id WHERE c.id = ? AND u.email = ?", conversationId, email)).toBe(1);
  // The failed attempt before it is forgotten once the right password is given.
  expect(count("SELECT count(*) AS n FROM verifications WHERE identifier = ?", `sign-in-failure:${email}`)).toBe(0);
  await expect(page.getByTestId("conversation-list")).toContainText("Dune");

  // Ten wrong passwords lock the email for a while: then even the right one is refused.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/sign-in");
  for (let i = 0; i < 10; i++) {
    await signIn(page, email, `wrong password ${i}`, "refused");
  }
  expect(count("SELECT count(*) AS n FROM verifications WHERE identifier = ?", `sign-in-failure:${email}`)).toBe(10);
  await signIn(page, email, PASSWORD, "refused");
  await expect(page.getByTestId("sign-in-form").getByRole("alert")).toContainText(/too many/i);
  expect(count("SELECT count(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = ?", email)).toBe(0);
});

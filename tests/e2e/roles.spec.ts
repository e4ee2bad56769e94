import { readFileSync } from "node:fs";
import { expect, test, type APIRequestContext, type APIResponse, type Page } from "@playwright/test";
import Database from "better-sqlite3";
import { e2eDatabaseFile, e2eAdminEmail } from "../../playwright.config";

// Accounts and roles on the production build, end to end:
// 1. a guest chats, signs up, and finds the chat in their account (the guest row is gone);
// 2. the account named by RECO_ADMIN_EMAIL is an admin and assigns roles on /admin;
// 3. every page, route and server action × every role and a stranger, each outcome checked by
//    status and by what changed in the database.

const PASSWORD = "correct horse battery staple";
const ACTORS = ["stranger", "guest", "user", "merchandiser", "product", "admin"] as const;
type ActorName = (typeof ACTORS)[number];
type AccountName = Exclude<ActorName, "stranger" | "guest">;
const EMAIL: Record<AccountName, string> = {
  user: "reader@e2e.test",
  merchandiser: "merch@e2e.test",
  product: "product@e2e.test",
  admin: e2eAdminEmail,
};

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(e2eDatabaseFile, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
const one = <T>(sql: string, ...params: unknown[]) => query<T>(sql, ...params)[0];
const count = (sql: string, ...params: unknown[]) => Number(one<{ n: number }>(sql, ...params)!.n);

/** Server actions are POSTs to a page with the action's id; the build's manifest maps names to ids. */
function actionId(file: string, name: string): string {
  const manifest = JSON.parse(readFileSync(".next/server/server-reference-manifest.json", "utf8")) as {
    node: Record<string, { filename: string; exportedName: string }>;
  };
  const found = Object.entries(manifest.node).find(([, a]) => a.filename === file && a.exportedName === name);
  if (!found) throw new Error(`no server action ${file}#${name} in the build`);
  return found[0];
}

async function callAction(
  request: APIRequestContext,
  file: string,
  name: string,
  args: unknown[],
): Promise<{ status: number; result: unknown; redirect?: string }> {
  const response = await request.post("/", {
    headers: { "Next-Action": actionId(file, name), Accept: "text/x-component", "Content-Type": "text/plain;charset=UTF-8" },
    data: JSON.stringify(args),
    maxRedirects: 0,
  });
  // The answer is React's flight format: line "1:" holds the action's return value.
  const line = (await response.text()).split("\n").find((l) => l.startsWith("1:"));
  const redirect = response.headers()["x-action-redirect"]?.split(";")[0];
  return { status: response.status(), result: line ? JSON.parse(line.slice(2)) : undefined, redirect };
}

async function signUp(page: Page, email: string, name: string) {
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/c\/[A-Za-z0-9_-]+$/);
  await expect(page.getByTestId("account-menu")).toContainText(name);
}

async function chat(request: APIRequestContext, id: string): Promise<APIResponse> {
  const response = await request.post("/api/chat", {
    data: { id, message: { id: `${id}-q${Date.now()}`, role: "user", parts: [{ type: "text", text: "Something like Dune" }] } },
  });
  await response.body(); // the whole stream: the answer is stored when it ends
  return response;
}

const firstRecommendation = (conversationId: string) =>
  one<{ id: string }>(
    "SELECT r.id FROM recommendations r JOIN messages m ON m.id = r.message_id WHERE m.conversation_id = ? ORDER BY r.rank LIMIT 1",
    conversationId,
  )!.id;
const userIdOf = (email: string) => one<{ id: string }>("SELECT id FROM users WHERE email = ?", email)!.id;
const roleOf = (email: string) => one<{ role: string }>("SELECT role FROM users WHERE email = ?", email)!.role;

test("guest → account, admin assigns roles, and every route × role × stranger answers as it should", async ({ browser, playwright, baseURL }) => {
  test.setTimeout(240_000);
  const newId = (name: string) => `${name}-${Date.now().toString(36)}`.padEnd(8, "x");

  // 1. A guest chats in the browser, then signs up: the conversation comes along.
  const userContext = await browser.newContext();
  const userPage = await userContext.newPage();
  await userPage.goto("/");
  await userPage.getByTestId("chat-input").fill("Something like Dune, please");
  await userPage.getByTestId("chat-input").press("Enter");
  await expect(userPage.getByTestId("item-card")).toHaveCount(5);
  const victim = new URL(userPage.url()).pathname.split("/").pop()!;
  const guestId = one<{ user_id: string }>("SELECT user_id FROM conversations WHERE id = ?", victim)!.user_id;
  await signUp(userPage, EMAIL.user, "Rea Der");
  expect(one<{ user_id: string }>("SELECT user_id FROM conversations WHERE id = ?", victim)!.user_id).toBe(userIdOf(EMAIL.user));
  expect(count("SELECT count(*) AS n FROM users WHERE id = ?", guestId)).toBe(0);
  await expect(userPage.getByTestId("conversation-list")).toContainText("Dune");
  const victimRecommendation = firstRecommendation(victim);
  await expect(userPage.getByTestId("account-role")).toHaveText("User");

  // 2. The others sign up; RECO_ADMIN_EMAIL's account is an admin and hands out roles on /admin.
  const contexts: Partial<Record<ActorName, APIRequestContext>> = { user: userContext.request };
  const pages: Partial<Record<AccountName, Page>> = { user: userPage };
  for (const name of ["merchandiser", "product", "admin"] as const) {
    const context = await browser.newContext();
    pages[name] = await context.newPage();
    await signUp(pages[name]!, EMAIL[name], `${name} person`);
    contexts[name] = context.request;
  }
  expect(roleOf(EMAIL.admin)).toBe("admin");
  const adminPage = pages.admin!;
  await adminPage.getByRole("link", { name: "Accounts and roles" }).click();
  for (const email of Object.values(EMAIL)) await expect(adminPage.getByTestId("accounts")).toContainText(email);
  await adminPage.getByLabel(`Role of ${EMAIL.merchandiser}`).selectOption("merchandiser");
  await adminPage.getByLabel(`Role of ${EMAIL.product}`).selectOption("product");
  await expect.poll(() => [roleOf(EMAIL.merchandiser), roleOf(EMAIL.product)]).toEqual(["merchandiser", "product"]);
  // The only admin cannot demote themselves: refused, said, and the select goes back.
  await adminPage.getByLabel(`Role of ${EMAIL.admin}`).selectOption("user");
  await expect(adminPage.getByTestId("accounts").getByRole("alert")).toContainText("only admin");
  await expect(adminPage.getByLabel(`Role of ${EMAIL.admin}`)).toHaveValue("admin");
  expect(roleOf(EMAIL.admin)).toBe("admin");
  await pages.merchandiser!.reload();
  await expect(pages.merchandiser!.getByTestId("account-role")).toHaveText("Merchandiser");

  // A guest who stays a guest, with a conversation of their own.
  const guest = await playwright.request.newContext({ baseURL });
  contexts.guest = guest;
  // A stranger has no cookies at all: a fresh context for every request.
  const stranger = async () => playwright.request.newContext({ baseURL });
  const as = async (actor: ActorName) => (actor === "stranger" ? stranger() : contexts[actor]!);

  // Each actor's own conversation (the user's is the victim; the user's "other" is the guest's).
  const own: Partial<Record<ActorName, string>> = { user: victim };
  for (const actor of ["guest", "merchandiser", "product", "admin"] as const) {
    own[actor] = newId(actor);
    expect((await chat(contexts[actor]!, own[actor]!)).status()).toBe(200);
  }
  const other = (actor: ActorName) => (actor === "user" ? own.guest! : victim);
  const otherRecommendation = (actor: ActorName) => firstRecommendation(other(actor));

  // 3. The matrix. Each cell: what the actor did, the status expected and seen, and the database check.
  const misses: string[] = [];
  const check = (actor: ActorName, what: string, ok: boolean, detail: string) => {
    if (!ok) misses.push(`${actor} · ${what}: ${detail}`);
  };
  const isAccount = (a: ActorName): a is AccountName => a !== "stranger" && a !== "guest";
  const messages = (id: string) => count("SELECT count(*) AS n FROM messages WHERE conversation_id = ?", id);

  for (const actor of ACTORS) {
    const get = async (path: string) => (await as(actor)).get(path, { maxRedirects: 0 });

    let r = await get("/");
    check(actor, "GET /", r.status() === 307 && /\/c\/[A-Za-z0-9_-]+$/.test(r.headers().location ?? ""), `${r.status()} ${r.headers().location}`);
    r = await get(`/c/${newId("fresh")}`);
    check(actor, "GET /c/<new id>", r.status() === 200, `${r.status()}`);
    r = await get(`/c/${other(actor)}`);
    check(actor, "GET /c/<another's>", r.status() === 404, `${r.status()}`);
    r = await get(`/api/conversations/${other(actor)}`);
    check(actor, "GET /api/conversations/<another's>", r.status() === 404, `${r.status()}`);
    if (own[actor]) {
      r = await get(`/c/${own[actor]}`);
      check(actor, "GET /c/<own>", r.status() === 200 && (await r.text()).includes("Dune"), `${r.status()}`);
      r = await get(`/api/conversations/${own[actor]}`);
      const body = r.status() === 200 ? ((await r.json()) as { messages: unknown[] }) : null;
      check(actor, "GET /api/conversations/<own>", (body?.messages.length ?? 0) >= 2, `${r.status()}`);
    }

    const before = messages(other(actor));
    r = await chat(await as(actor), other(actor));
    check(actor, "POST /api/chat <another's>", r.status() === 404 && messages(other(actor)) === before, `${r.status()}, messages ${before} → ${messages(other(actor))}`);
    r = await (await as(actor)).post("/api/chat", { headers: { Origin: "https://evil.example" }, data: {} });
    check(actor, "POST /api/chat from another site", r.status() === 403, `${r.status()}`);
    if (actor === "stranger") {
      const fresh = newId("stranger");
      r = await chat(await stranger(), fresh);
      check(actor, "POST /api/chat <new>", r.status() === 200 && messages(fresh) === 2, `${r.status()}, ${messages(fresh)} messages`);
    }

    // Role-gated pages: the role's page opens (200), another role gets 403, a guest is sent to sign in.
    for (const [path, roles] of [["/admin", ["admin"]], ["/review", ["admin", "merchandiser"]], ["/insights", ["admin", "product"]]] as const) {
      r = await get(path);
      const expected = (roles as readonly string[]).includes(actor) ? "200" : isAccount(actor) ? "403" : `307 /sign-in?next=${encodeURIComponent(path)}`;
      const location = r.headers().location ? new URL(r.headers().location!, baseURL) : null;
      const seen = `${r.status()}${r.status() === 307 && location ? ` ${location.pathname}${location.search}` : ""}`;
      check(actor, `GET ${path}`, seen === expected, `expected ${expected}, got ${seen}`);
    }
    for (const path of ["/sign-in", "/sign-up"]) {
      r = await get(path);
      const expected = isAccount(actor) ? 307 : 200;
      check(actor, `GET ${path}`, r.status() === expected, `expected ${expected}, got ${r.status()}`);
    }

    // Server actions.
    const feedbackRows = (recommendationId: string) => count("SELECT count(*) AS n FROM feedback WHERE recommendation_id = ?", recommendationId);
    const target = otherRecommendation(actor);
    const rowsBefore = feedbackRows(target);
    let a = await callAction(await as(actor), "app/actions.ts", "sendFeedback", [{ recommendationId: target, kind: "thumbs_up" }]);
    check(actor, "sendFeedback on another's card", (a.result as { ok: boolean })?.ok === false && feedbackRows(target) === rowsBefore, JSON.stringify(a));
    if (own[actor]) {
      const mine = firstRecommendation(own[actor]!);
      a = await callAction(await as(actor), "app/actions.ts", "sendFeedback", [{ recommendationId: mine, kind: "save" }]);
      check(actor, "sendFeedback on own card", (a.result as { ok: boolean })?.ok === true && feedbackRows(mine) === 1, JSON.stringify(a));
    }
    await callAction(await as(actor), "app/actions.ts", "removeConversation", [other(actor)]);
    check(actor, "removeConversation <another's>", count("SELECT count(*) AS n FROM conversations WHERE id = ?", other(actor)) === 1, "deleted");

    const reviews = () => count("SELECT count(*) AS n FROM explanation_reviews");
    const reviewsBefore = reviews();
    const shownText = one<{ item_id: number; reason: string; explanation: string }>("SELECT item_id, reason, explanation FROM recommendations WHERE id = ?", victimRecommendation)!;
    const entry = { itemId: shownText.item_id, reason: shownText.reason, text: shownText.explanation };
    a = await callAction(await as(actor), "app/review/actions.ts", "decideAction", [{ decision: "approved", entries: [entry] }]);
    if (actor === "admin" || actor === "merchandiser") {
      check(actor, "decideAction", (a.result as { ok: boolean })?.ok === true && reviews() === reviewsBefore + 1, JSON.stringify(a));
    } else {
      const error = isAccount(actor) ? "Your account's role does not allow this." : "Sign in to do this.";
      check(actor, "decideAction", JSON.stringify(a.result) === JSON.stringify({ ok: false, error }) && reviews() === reviewsBefore, JSON.stringify(a));
    }
    a = await callAction(await as(actor), "app/review/actions.ts", "editAction", [{ ...entry, editedText: `edited by ${actor}` }]);
    const edited = reviews() > reviewsBefore + (actor === "admin" || actor === "merchandiser" ? 1 : 0);
    check(actor, "editAction", (actor === "admin" || actor === "merchandiser") === edited, JSON.stringify(a));

    // Model versions (product team and admins): an unknown version, so an allowed call changes nothing either.
    const events = () => count("SELECT count(*) AS n FROM model_events");
    const eventsBefore = events();
    for (const name of ["promoteAction", "rollbackAction"]) {
      a = await callAction(await as(actor), "app/insights/actions.ts", name, [{ name: "no-such-version" }]);
      const error = actor === "admin" || actor === "product" ? "No model version named no-such-version." : isAccount(actor) ? "Your account's role does not allow this." : "Sign in to do this.";
      check(actor, name, (a.result as { error?: string })?.error === error && events() === eventsBefore, JSON.stringify(a));
    }

    // Learning-loop jobs (product team and admins). An allowed actor exports the training data (the update
    // itself is the insights test's), follows it at /api/jobs/<id> and cannot cancel a job that has ended.
    const jobs = () => count("SELECT count(*) AS n FROM update_jobs");
    const jobsBefore = jobs();
    const denied = isAccount(actor) ? "Your account's role does not allow this." : "Sign in to do this.";
    const mayRunJobs = actor === "admin" || actor === "product";
    if (mayRunJobs) {
      a = await callAction(await as(actor), "app/insights/actions.ts", "startExportAction", []);
      const jobId = (a.result as { jobId?: string })?.jobId ?? "";
      check(actor, "startExportAction", (a.result as { ok: boolean })?.ok === true && jobs() === jobsBefore + 1, JSON.stringify(a));
      let status = "running";
      for (let i = 0; i < 120 && status === "running"; i++) {
        await new Promise((done) => setTimeout(done, 500));
        status = one<{ status: string }>("SELECT status FROM update_jobs WHERE id = ?", jobId)?.status ?? "missing";
      }
      r = await get(`/api/jobs/${jobId}`);
      const body = r.ok() ? ((await r.json()) as { status: string; progress: number }) : null;
      check(actor, "GET /api/jobs/<id>", r.status() === 200 && body?.status === "succeeded" && body.progress === 1, `${r.status()} ${JSON.stringify(body)}`);
      a = await callAction(await as(actor), "app/insights/actions.ts", "cancelJobAction", [{ id: jobId }]);
      check(actor, "cancelJobAction <ended job>", (a.result as { error?: string })?.error === "This job is not running any more.", JSON.stringify(a));
    } else {
      for (const name of ["startExportAction", "startUpdateAction"]) {
        a = await callAction(await as(actor), "app/insights/actions.ts", name, []);
        check(actor, name, JSON.stringify(a.result) === JSON.stringify({ ok: false, error: denied }) && jobs() === jobsBefore, JSON.stringify(a));
      }
      const anyJob = one<{ id: string }>("SELECT id FROM update_jobs LIMIT 1")?.id ?? "no-such-job";
      r = await get(`/api/jobs/${anyJob}`);
      check(actor, "GET /api/jobs/<id>", r.status() === (isAccount(actor) ? 403 : 401), `${r.status()}`);
      a = await callAction(await as(actor), "app/insights/actions.ts", "cancelJobAction", [{ id: anyJob }]);
      check(actor, "cancelJobAction", (a.result as { error?: string })?.error === denied, JSON.stringify(a));
    }

    a = await callAction(await as(actor), "app/admin/actions.ts", "setRoleAction", [{ userId: userIdOf(EMAIL.product), role: "merchandiser" }]);
    const changed = roleOf(EMAIL.product) === "merchandiser";
    if (actor === "admin") {
      check(actor, "setRoleAction", (a.result as { ok: boolean })?.ok === true && changed, JSON.stringify(a));
      await callAction(await as(actor), "app/admin/actions.ts", "setRoleAction", [{ userId: userIdOf(EMAIL.product), role: "product" }]);
    } else {
      const error = isAccount(actor) ? "Your account's role does not allow this." : "Sign in to do this.";
      check(actor, "setRoleAction", JSON.stringify(a.result) === JSON.stringify({ ok: false, error }) && !changed, JSON.stringify(a));
    }
  }

  // Last, what ends an actor's state: deleting their own conversation, signing out.
  for (const actor of ["guest", "merchandiser", "product", "admin"] as const) {
    await callAction(contexts[actor]!, "app/actions.ts", "removeConversation", [own[actor]]);
    check(actor, "removeConversation <own>", count("SELECT count(*) AS n FROM conversations WHERE id = ?", own[actor]) === 0, "still there");
  }
  for (const actor of ["user", "merchandiser", "product", "admin"] as const) {
    const sessions = () => count("SELECT count(*) AS n FROM sessions WHERE user_id = ?", userIdOf(EMAIL[actor]));
    const before = sessions();
    const a = await callAction(contexts[actor]!, "app/(account)/actions.ts", "signOutAction", []);
    check(actor, "signOutAction", before === 1 && sessions() === 0 && a.redirect === "/", `→ ${a.redirect}, sessions ${before} → ${sessions()}`);
    const r = await contexts[actor]!.get("/admin", { maxRedirects: 0 });
    check(actor, "GET /admin after sign-out", r.status() === 307, `${r.status()}`);
  }
  expect(misses).toEqual([]);
});

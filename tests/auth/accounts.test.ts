import { APIError } from "better-auth/api";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createAuth } from "@/server/auth/auth";
import { assignRole } from "@/server/auth/roles";
import { adoptGuest, findAccount, listAccounts } from "@/server/db/queries/users";
import { AppError } from "@/server/http/errors";
import { createTestDatabase, type TestDatabase } from "../setup/test-database";

// Accounts on the real stack: better-auth over each database, argon2 hashes, the guest → account
// move and role assignment.
describe.each(["sqlite", "postgresql"] as const)("accounts on %s", (kind) => {
  let t: TestDatabase;
  let auth: ReturnType<typeof createAuth>;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    process.env.RECO_ADMIN_EMAIL = "Boss@Example.com";
    auth = createAuth(t.db, kind);
  });
  afterAll(async () => {
    delete process.env.RECO_ADMIN_EMAIL;
    await t.cleanup();
  });

  const signUp = (email: string, extra: Record<string, unknown> = {}) =>
    auth.api.signUpEmail({ body: { email, password: "correct horse battery", name: email.split("@")[0]!, ...extra } });

  test("sign-up stores an argon2id hash and a session; the role is never taken from the form", async () => {
    const { user } = await signUp("reader@example.com", { role: "admin" });
    const account = await t.db.account.findFirstOrThrow({ where: { userId: user.id } });
    expect(account.providerId).toBe("credential");
    expect(account.password).toMatch(/^\$argon2id\$/);
    expect(account.password).not.toContain("correct horse");
    expect(await t.db.session.count({ where: { userId: user.id } })).toBe(1);
    expect((await findAccount(t.db, { id: user.id }))?.role).toBe("user");
  });

  test("RECO_ADMIN_EMAIL makes that account an admin at sign-up (any case)", async () => {
    const { user } = await signUp("boss@example.com");
    expect((await findAccount(t.db, { id: user.id }))?.role).toBe("admin");
  });

  test("sign-in: the right password opens a session; a wrong one and an unknown email fail alike", async () => {
    await signUp("signin@example.com");
    const ok = await auth.api.signInEmail({ body: { email: "signin@example.com", password: "correct horse battery" } });
    expect(ok.user.email).toBe("signin@example.com");
    const failure = (email: string, password: string) =>
      auth.api.signInEmail({ body: { email, password } }).then(() => null, (error: unknown) => error);
    for (const error of [await failure("signin@example.com", "wrong password!!"), await failure("nobody@example.com", "correct horse battery")]) {
      expect(error).toBeInstanceOf(APIError);
      expect((error as APIError).status).toBe("UNAUTHORIZED");
      expect((error as APIError).body?.code).toBe("INVALID_EMAIL_OR_PASSWORD");
    }
  });

  test("a second account with the same email is refused", async () => {
    await signUp("twice@example.com");
    await expect(signUp("twice@example.com")).rejects.toMatchObject({ body: { code: expect.stringMatching(/^USER_ALREADY_EXISTS/) } });
  });

  test("adoptGuest moves conversations, feedback and interactions, drops duplicate interactions, deletes the guest", async () => {
    const { user } = await signUp("adopter@example.com");
    const guest = await t.db.user.create({ data: {} });
    const item = await t.db.item.create({ data: { catalog: "books", externalId: `adopt-${kind}`, title: "Dune", metadata: {} } });
    const conversation = await t.db.conversation.create({ data: { userId: guest.id, title: "guest chat" } });
    await t.db.message.create({ data: { id: `${conversation.id}-a`, conversationId: conversation.id, role: "assistant", parts: [] } });
    const rec = await t.db.recommendation.create({
      data: { messageId: `${conversation.id}-a`, itemId: item.id, rank: 1, score: 1, modelVersion: "baseline", reason: "r" },
    });
    await t.db.feedback.create({ data: { recommendationId: rec.id, userId: guest.id, kind: "thumbs_up" } });
    const at = new Date("2026-01-01T00:00:00Z");
    await t.db.interaction.create({ data: { userId: guest.id, itemId: item.id, kind: "like", at, source: "feedback:x" } });
    await t.db.interaction.create({ data: { userId: guest.id, itemId: item.id, kind: "save", at, source: "feedback:y" } });
    await t.db.interaction.create({ data: { userId: user.id, itemId: item.id, kind: "like", at, source: "feedback:z" } });

    expect(await adoptGuest(t.db, { guestId: guest.id, accountId: user.id })).toEqual({ conversations: 1 });
    expect(await t.db.user.findUnique({ where: { id: guest.id } })).toBeNull();
    expect((await t.db.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).userId).toBe(user.id);
    expect(await t.db.feedback.count({ where: { userId: user.id } })).toBe(1);
    const kinds = (await t.db.interaction.findMany({ where: { userId: user.id }, orderBy: { kind: "asc" } })).map((r) => r.kind);
    expect(kinds).toEqual(["like", "save"]);
  });

  test("adoptGuest never takes another account's or an imported user's data", async () => {
    const { user: taker } = await signUp("taker@example.com");
    const { user: other } = await signUp("other@example.com");
    const imported = await t.db.user.create({ data: { externalId: `books:${kind}-7` } });
    for (const victim of [other, imported]) {
      await t.db.conversation.create({ data: { userId: victim.id } });
      expect(await adoptGuest(t.db, { guestId: victim.id, accountId: taker.id })).toEqual({ conversations: 0 });
      expect(await t.db.conversation.count({ where: { userId: victim.id } })).toBe(1);
      expect(await t.db.user.findUnique({ where: { id: victim.id } })).not.toBeNull();
    }
  });

  test("assignRole: sets roles, refuses to demote the last admin, refuses guests and unknown ids", async () => {
    const admins = (await listAccounts(t.db)).filter((a) => a.role === "admin");
    expect(admins).toHaveLength(1);
    const { user } = await signUp("merch@example.com");
    await assignRole(t.db, { userId: user.id, role: "merchandiser" });
    expect((await findAccount(t.db, { id: user.id }))?.role).toBe("merchandiser");

    const refused = (p: Promise<unknown>) => p.then(() => null, (error: unknown) => error as AppError);
    expect((await refused(assignRole(t.db, { userId: admins[0]!.id, role: "user" })))?.code).toBe("bad_request:last_admin");
    const guest = await t.db.user.create({ data: {} });
    expect((await refused(assignRole(t.db, { userId: guest.id, role: "admin" })))?.code).toBe("not_found:account");
    expect((await refused(assignRole(t.db, { userId: "no-such-id", role: "admin" })))?.code).toBe("not_found:account");

    await assignRole(t.db, { userId: user.id, role: "admin" });
    await assignRole(t.db, { userId: admins[0]!.id, role: "product" });
    expect((await findAccount(t.db, { id: admins[0]!.id }))?.role).toBe("product");
  });
});

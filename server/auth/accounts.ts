import "server-only";
import { APIError } from "better-auth/api";
import { cookies, headers } from "next/headers";
import { z } from "zod";
import { getDb } from "../db/client";
import { adoptGuest, clearSignInFailures, recentSignInFailures, recordSignInFailure } from "../db/queries/users";
import { VISITOR_COOKIE, VISITOR_COOKIE_MAX_AGE, isVisitorId, newVisitorId } from "../visitors";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, getAuth } from "./auth";

/**
 * Sign-up, sign-in and sign-out for the account pages' server actions. On sign-up and on sign-in
 * the browser's guest conversations, feedback and interactions move to the account, and the
 * browser gets a fresh guest id (so signing out later starts a clean guest, not the old one).
 */
export type AccountResult = { ok: true } | { ok: false; error: string };

const Email = z.email("Enter a valid email address.").max(254, "That email address is too long.");
const Password = z.string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters for the password.`)
  .max(MAX_PASSWORD_LENGTH, `Use at most ${MAX_PASSWORD_LENGTH} characters for the password.`);
export const SignUpInput = z.object({ name: z.string().trim().max(80, "Use at most 80 characters for the name."), email: Email, password: Password });
export const SignInInput = z.object({ email: Email, password: z.string().min(1, "Enter your password.").max(MAX_PASSWORD_LENGTH) });

// Failed sign-ins allowed per email address within the window, before it is locked for the rest of it.
export const SIGN_IN_FAILURES_ALLOWED = 10;
const SIGN_IN_WINDOW_MS = 15 * 60_000;

export async function signUp(input: z.infer<typeof SignUpInput>): Promise<AccountResult> {
  const auth = await getAuth();
  const email = input.email.toLowerCase();
  let userId: string;
  try {
    const result = await auth.api.signUpEmail({ body: { name: input.name || email.split("@")[0]!, email, password: input.password }, headers: await headers() });
    userId = result.user.id;
  } catch (error) {
    if (error instanceof APIError && error.body?.code?.startsWith("USER_ALREADY_EXISTS")) {
      return { ok: false, error: "An account with this email already exists: sign in instead." };
    }
    if (error instanceof APIError && error.status === "BAD_REQUEST") return { ok: false, error: error.body?.message ?? "Check the form and try again." };
    throw error;
  }
  await takeOverGuest(userId);
  return { ok: true };
}

export async function signIn(input: z.infer<typeof SignInInput>): Promise<AccountResult> {
  const db = await getDb();
  const email = input.email.toLowerCase();
  const now = new Date();
  const failures = await recentSignInFailures(db, { email, now });
  if (failures.length >= SIGN_IN_FAILURES_ALLOWED) {
    const minutes = Math.ceil((failures[0]!.getTime() - now.getTime()) / 60_000);
    return { ok: false, error: `Too many failed sign-ins for this email. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.` };
  }
  let userId: string;
  try {
    const result = await (await getAuth()).api.signInEmail({ body: { email, password: input.password }, headers: await headers() });
    userId = result.user.id;
  } catch (error) {
    if (error instanceof APIError && error.status === "UNAUTHORIZED") {
      await recordSignInFailure(db, { email, expiresAt: new Date(now.getTime() + SIGN_IN_WINDOW_MS) });
      return { ok: false, error: "Wrong email or password." };
    }
    throw error;
  }
  await clearSignInFailures(db, { email });
  await takeOverGuest(userId);
  return { ok: true };
}

export async function signOut(): Promise<void> {
  await (await getAuth()).api.signOut({ headers: await headers() });
}

async function takeOverGuest(accountId: string): Promise<void> {
  const jar = await cookies();
  const guestId = jar.get(VISITOR_COOKIE)?.value;
  if (isVisitorId(guestId)) await adoptGuest(await getDb(), { guestId, accountId });
  jar.set(VISITOR_COOKIE, newVisitorId(), { httpOnly: true, sameSite: "lax", path: "/", maxAge: VISITOR_COOKIE_MAX_AGE });
}

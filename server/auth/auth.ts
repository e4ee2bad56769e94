import "server-only";
import { hash, verify } from "@node-rs/argon2";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { nextCookies } from "better-auth/next-js";
import { getDb, type Db } from "../db/client";
import { databaseKind, databaseUrl, type DatabaseKind } from "../db/env";
import { authSecret } from "./secret";

/**
 * Accounts: better-auth with email + password, sessions in the database (the `sessions` table),
 * passwords hashed with argon2id. A failed sign-in hashes the password even when the email is
 * unknown (better-auth does), so the two failures take the same time.
 *
 * The app calls it only from the server (server actions in app/(account)/actions.ts), never through
 * an HTTP handler of its own: there is no /api/auth route to attack, and Next.js checks the Origin
 * of every server action.
 */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

export function createAuth(db: Db, kind: DatabaseKind = databaseKind(databaseUrl())) {
  // Where visitors reach the app. Session cookies are Secure when it is https; a deployment on a
  // private network over plain http must still be able to sign in.
  const publicUrl = process.env.RECO_PUBLIC_URL ?? `http://localhost:${process.env.PORT ?? 3000}`;
  return betterAuth({
    appName: "Reco",
    baseURL: publicUrl,
    secret: authSecret(),
    database: prismaAdapter(db, { provider: kind, transaction: true }),
    emailAndPassword: {
      enabled: true,
      autoSignIn: true,
      minPasswordLength: MIN_PASSWORD_LENGTH,
      maxPasswordLength: MAX_PASSWORD_LENGTH,
      password: { hash: (password) => hash(password), verify: ({ hash: stored, password }) => verify(stored, password) },
    },
    user: {
      // The role is ours: never taken from a sign-up form, changed only by an admin (server/auth/roles.ts).
      additionalFields: { role: { type: "string", input: false, defaultValue: "user" } },
    },
    session: { expiresIn: 60 * 60 * 24 * 30, updateAge: 60 * 60 * 24 },
    advanced: {
      cookiePrefix: "reco",
      useSecureCookies: publicUrl.startsWith("https://"),
      // Ids in the style of the rest of the schema's; better-auth's own are fine too.
      database: { generateId: () => crypto.randomUUID() },
    },
    databaseHooks: {
      user: {
        create: {
          // The first admin can come from the environment: the account with this email is an admin from sign-up.
          before: async (user) => {
            const adminEmail = process.env.RECO_ADMIN_EMAIL?.trim().toLowerCase();
            return { data: { ...user, role: adminEmail && user.email?.toLowerCase() === adminEmail ? "admin" : "user" } };
          },
        },
      },
    },
    telemetry: { enabled: false },
    logger: { level: "error" },
    plugins: [nextCookies()],
  });
}

export type Auth = ReturnType<typeof createAuth>;

// One instance per process, built on the shared database client (kept on globalThis for dev reloads).
const cache = globalThis as unknown as { recoAuth?: Promise<Auth> };

export function getAuth(): Promise<Auth> {
  cache.recoAuth ??= getDb().then((db) => createAuth(db));
  return cache.recoAuth;
}

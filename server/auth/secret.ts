import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The key that signs session cookies: RECO_AUTH_SECRET when set (required when several app
 * instances share one database, so they all accept each other's cookies), otherwise a random key
 * generated once and kept in data/auth-secret, readable by the owner only.
 */
export const SECRET_FILE = path.resolve("data", "auth-secret");

export function authSecret(env: Record<string, string | undefined> = process.env, file = SECRET_FILE): string {
  const fromEnv = env.RECO_AUTH_SECRET?.trim();
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error("RECO_AUTH_SECRET must be at least 32 characters long (e.g. `openssl rand -base64 32`).");
    return fromEnv;
  }
  try {
    return readFileSync(/*turbopackIgnore: true*/ file, "utf8").trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
    return secret;
  } catch (error) {
    // Another process created it first: use theirs, so both sign cookies with the same key.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return readFileSync(/*turbopackIgnore: true*/ file, "utf8").trim();
    throw error;
  }
}

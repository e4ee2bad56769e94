/**
 * `npm run users -- <command>`: accounts from the command line (the first admin comes from here or
 * from RECO_ADMIN_EMAIL).
 *   list                                   every account and its role
 *   create <email> [--name N] [--role R]   a new account; the password is asked for (or read from
 *                                          stdin when it is not a terminal)
 *   set-role <email> <role>                roles: user, merchandiser, product, admin
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { getDb } from "../db/client";
import { findAccount, listAccounts } from "../db/queries/users";
import { AppError } from "../http/errors";
import { ROLES, isRole, type RoleName } from "./access";
import { MIN_PASSWORD_LENGTH, getAuth } from "./auth";
import { assignRole } from "./roles";

const usage = `Usage:
  npm run users -- list
  npm run users -- create <email> [--name <name>] [--role <${ROLES.join("|")}>]
  npm run users -- set-role <email> <${ROLES.join("|")}>`;

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  }
  // A prompt that does not echo what is typed.
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const muted = rl as unknown as { _writeToOutput: (s: string) => void };
  process.stdout.write(`Password (at least ${MIN_PASSWORD_LENGTH} characters): `);
  muted._writeToOutput = () => {};
  const answer = await new Promise<string>((resolve) => rl.question("", resolve));
  rl.close();
  process.stdout.write("\n");
  return answer;
}

function roleArg(value: string | undefined): RoleName {
  if (!isRole(value)) throw new AppError("bad_request:role", `Unknown role "${value ?? ""}": use one of ${ROLES.join(", ")}.`);
  return value;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: "string" }, role: { type: "string" } } });
  const [command, email, role] = positionals;
  const db = await getDb();
  if (command === "list" && !email) {
    const accounts = await listAccounts(db);
    if (accounts.length === 0) console.log("No accounts yet.");
    for (const a of accounts) console.log(`${a.role.padEnd(13)} ${a.email}${a.name ? `  (${a.name})` : ""}`);
    return;
  }
  if (command === "create" && email && !role) {
    const newRole = values.role === undefined ? "user" : roleArg(values.role);
    const password = await readPassword();
    const auth = await getAuth();
    const { user } = await auth.api.signUpEmail({ body: { email: email.toLowerCase(), password, name: values.name ?? email.split("@")[0]! } });
    if (newRole !== "user") await assignRole(db, { userId: user.id, role: newRole });
    console.log(`Created ${user.email} (${newRole}).`);
    return;
  }
  if (command === "set-role" && email && role) {
    const account = await findAccount(db, { email });
    if (!account) throw new AppError("not_found:account", `No account with the email ${email}.`);
    await assignRole(db, { userId: account.id, role: roleArg(role) });
    console.log(`${account.email} is now ${role}.`);
    return;
  }
  throw new AppError("bad_request:usage", usage);
}

main(process.argv.slice(2))
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    // better-auth's refusals (a short password, an email in use) carry a message for people.
    const message = error instanceof Error ? error.message : String(error);
    console.error(message);
    process.exit(error instanceof AppError && error.code === "bad_request:usage" ? 2 : 1);
  });

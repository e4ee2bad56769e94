/**
 * `npm run models -- <command>`: model versions from the command line (the same rules as the
 * /insights page).
 *   list                               versions, newest first, with status and offline HR@1
 *   register <dir>                     a version folder becomes a candidate
 *   promote <name> [--reason "…"]      serve it (a reason is needed when its HR@1 is lower)
 *   rollback <name>                    serve an earlier version again
 *   history                            promotions and rollbacks, newest first
 */
import { parseArgs } from "node:util";
import { getDb } from "../db/client";
import { listVersions, modelEvents } from "../db/queries/models";
import { AppError } from "../http/errors";
import { promote, registerVersion, rollback } from "./versions";

const usage = `Usage:
  npm run models -- list
  npm run models -- register <version folder>
  npm run models -- promote <name> [--reason "why, if its offline HR@1 is lower"]
  npm run models -- rollback <name>
  npm run models -- history`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { reason: { type: "string" } } });
  const [command, target, extra] = positionals;
  const db = await getDb();
  if (extra !== undefined) throw new AppError("bad_request:usage", usage);
  if (command === "list" && !target) {
    const versions = await listVersions(db);
    if (versions.length === 0) console.log("No model versions registered yet.");
    for (const v of versions) console.log(`${v.status.padEnd(9)} ${v.name}  HR@1 ${v.hr1 === null ? "–" : v.hr1.toFixed(3)}  ${v.path}`);
  } else if (command === "register" && target) {
    const v = await registerVersion(db, { dir: target });
    console.log(`Registered ${v.name} as a candidate (offline HR@1 ${v.hr1 === null ? "unknown" : v.hr1.toFixed(3)}).`);
  } else if (command === "promote" && target) {
    await promote(db, { name: target, actorId: null, override: values.reason ?? null });
    console.log(`${target} is now serving.`);
  } else if (command === "rollback" && target) {
    await rollback(db, { name: target, actorId: null });
    console.log(`${target} is serving again.`);
  } else if (command === "history" && !target) {
    for (const e of await modelEvents(db)) {
      console.log(`${e.at.toISOString()} ${e.kind} ${e.version}${e.from ? ` (was ${e.from})` : ""} by ${e.actor}${e.override ? ` — reason: ${e.override}` : ""}`);
    }
  } else {
    throw new AppError("bad_request:usage", usage);
  }
}

main(process.argv.slice(2))
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(error instanceof AppError && error.code === "bad_request:usage" ? 2 : 1);
  });

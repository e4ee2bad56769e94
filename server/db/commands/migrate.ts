/**
 * `npm run db:migrate -- --name <name> [--create-only]`: after editing prisma/schema.prisma, writes
 * the migration for both providers (prisma/migrations and prisma/postgres/migrations, same folder
 * name), regenerates both clients and applies the migration to the dev database (DATABASE_URL,
 * default file:./data/reco.db) — `prisma migrate dev`, offline. Prints "no changes" and writes
 * nothing when the schema matches the migrations. --create-only: write, do not apply.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { createMigration } from "../create-migration";
import { databaseUrl } from "../env";
import { generateClients } from "../generate";
import { migrateDatabase } from "../migrate";
import { repoRoot } from "../schemas";

const usage = "Usage: npm run db:migrate -- --name <migration_name> [--create-only]";
let args: { name?: string; "create-only"?: boolean };
try {
  args = parseArgs({
    options: { name: { type: "string", short: "n" }, "create-only": { type: "boolean" } },
  }).values;
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
if (!args.name) {
  console.error(usage);
  process.exit(2);
}

// The CLI heads a destructive migration with a "Warnings" comment and asks before applying it; the
// WASM engine does not expose those warnings (see docs/DATABASE.md), so point at the statements.
// The PostgreSQL script says plainly what changes (SQLite rebuilds tables to alter a column).
const RISKY = [
  /^DROP /,
  /^ALTER TABLE .* DROP /,
  /^ALTER TABLE .* ALTER COLUMN .* (SET NOT NULL|SET DATA TYPE)/,
  /^ALTER TABLE .* ADD COLUMN .* NOT NULL(?!.* DEFAULT )/, // fails on a table with rows
];

try {
  const created = await createMigration(args.name);
  if (created === null) {
    console.log("no changes: prisma/schema.prisma matches the migrations");
  } else {
    console.log(`Created migration ${created.name}:`);
    for (const dir of created.written) console.log(`  ${path.relative(repoRoot, dir)}/migration.sql`);
    const postgres = created.written.find((dir) => dir.includes(`${path.sep}postgres${path.sep}`));
    const script = postgres ? await readFile(path.join(postgres, "migration.sql"), "utf8") : "";
    for (const line of script.split("\n").filter((l) => RISKY.some((pattern) => pattern.test(l)))) {
      console.log(`  review (may lose data or fail on existing rows): ${line.trim()}`);
    }
    await generateClients();
  }
  if (!args["create-only"]) {
    const { applied } = await migrateDatabase(databaseUrl());
    if (applied.length > 0) console.log(`Applied to the dev database: ${applied.join(", ")}`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}

/**
 * `npm run db:migrate -- --name <name>`: after editing prisma/schema.prisma, writes the migration
 * for both providers (prisma/migrations and prisma/postgres/migrations, same folder name),
 * regenerates both clients and applies the migration to the dev database (DATABASE_URL, default
 * file:./data/reco.db) — `prisma migrate dev`, offline. Prints "no changes" and writes nothing
 * when the schema matches the migrations.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { createMigration } from "../create-migration";
import { databaseUrl } from "../env";
import { generateClients } from "../generate";
import { migrateDatabase } from "../migrate";
import { repoRoot } from "../schemas";

const usage = "Usage: npm run db:migrate -- --name <migration_name>";
let name: string | undefined;
try {
  name = parseArgs({ options: { name: { type: "string", short: "n" } } }).values.name;
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
if (!name) {
  console.error(usage);
  process.exit(2);
}

try {
  const created = await createMigration(name);
  if (created === null) {
    console.log("no changes: prisma/schema.prisma matches the migrations");
  } else {
    console.log(`Created migration ${created.name}:`);
    for (const dir of created.written) console.log(`  ${path.relative(repoRoot, dir)}/migration.sql`);
    await generateClients();
  }
  const url = databaseUrl();
  const { applied } = await migrateDatabase(url);
  if (applied.length > 0) console.log(`Applied to the dev database: ${applied.join(", ")}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}

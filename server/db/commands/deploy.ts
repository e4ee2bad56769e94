/**
 * `npm run db:deploy`: applies the committed migrations that DATABASE_URL (default
 * file:./data/reco.db) has not seen yet — `prisma migrate deploy`, offline.
 */
import { databaseKind, databaseUrl } from "../env";
import { migrateDatabase } from "../migrate";

try {
  const url = databaseUrl();
  const { applied } = await migrateDatabase(url);
  const target = databaseKind(url) === "sqlite" ? url : "PostgreSQL (DATABASE_URL)";
  if (applied.length === 0) console.log(`${target}: already up to date`);
  else console.log(`${target}: applied ${applied.length} migration(s):\n${applied.map((n) => `  ${n}`).join("\n")}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}

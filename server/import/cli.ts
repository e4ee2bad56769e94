/**
 * Imports catalog and interaction files into the database at DATABASE_URL (default: the SQLite
 * file under data/), applying pending migrations first.
 *
 *   npm run import -- u.item u.data                      MovieLens-100K → catalog "movielens"
 *   npm run import -- movies.csv ratings.csv             MovieLens latest → "movielens-latest"
 *   npm run import -- items.jsonl events.csv --catalog shop
 *   npm run import -- --check events.csv --catalog shop  validate and count, write nothing
 *   npm run demo:load                                    the shipped goodbooks demo
 *
 * All files go in one transaction: a bad row rejects the whole import and writes nothing.
 * Formats and rules: server/import/README.md.
 */
import { parseArgs } from "node:util";
import { openDb } from "../db/client";
import { databaseUrl } from "../db/env";
import { migrateDatabase } from "../db/migrate";
import { loadDemoCatalog } from "./demo";
import { importFiles } from "./import";
import { progressBar } from "./progress";
import { formatReport } from "./report";

const USAGE = "usage: npm run import -- <files...> [--catalog <name>] [--check]   |   npm run demo:load";

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      catalog: { type: "string" },
      check: { type: "boolean" },
      demo: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || (!values.demo && positionals.length === 0)) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const url = databaseUrl();
  await migrateDatabase(url);
  const db = await openDb(url);
  const bar = progressBar();
  try {
    const report = values.demo
      ? await loadDemoCatalog(db, { progress: true })
      : await importFiles(db, positionals, { catalog: values.catalog, onProgress: bar.onProgress, dryRun: values.check });
    bar.stop();
    console.log(formatReport(report));
  } finally {
    bar.stop();
    await db.$disconnect();
  }
}

main().catch((error: unknown) => {
  // ImportError messages name the file, line and reason; the transaction was rolled back.
  console.error(`Import failed; nothing was written.\n${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

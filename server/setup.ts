/**
 * Start-up step (`npm start` and `npm run dev` run it first): applies pending migrations to
 * DATABASE_URL (default: the embedded SQLite file), loads the shipped demo catalog the first
 * time, and builds the demo catalog's language model the first time (models/demo). Safe to run on
 * every start; quick once everything is there.
 */
import { openDb } from "./db/client";
import { databaseUrl } from "./db/env";
import { migrateDatabase } from "./db/migrate";
import { ensureDemoCatalog } from "./import/demo";
import { ensureDemoModel } from "./models/demo-model";
import { DEMO_MODEL_DIR } from "./models/serving";
import { adoptInstalledVersion } from "./models/versions";

async function main() {
  // The WebAssembly schema engine crashes on Node 20; npm scripts run on the project's Node 24.
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 22) throw new Error(`Node ${process.versions.node} is too old: run this through npm (npm start, npm run setup), which uses the project's Node 24.`);
  const url = databaseUrl();
  await migrateDatabase(url);
  const db = await openDb(url);
  try {
    const loaded = await ensureDemoCatalog(db, { progress: true });
    console.log(loaded ? "Loaded the demo catalog (goodbooks-10k, CC BY-SA 4.0)." : "Demo catalog already loaded.");
    try {
      const model = ensureDemoModel();
      console.log(model.status === "built" ? `Built the demo model: ${model.detail}.`
        : model.status === "up-to-date" ? `Demo model up to date: ${model.detail}.`
        : `Demo model not built: ${model.detail}.`);
    } catch (error) {
      // Not fatal: the chat answers with the baseline recommender and says so until a model is there.
      console.warn(`The demo model could not be built: ${error instanceof Error ? error.message : String(error)}.\n`
        + "The app will answer with the baseline recommender; fix the problem and run `npm run setup` again.");
    }
    // The folder this server serves (RECO_MODEL_DIR, else the demo model) is registered as a version, and
    // serves in the database when nothing does yet, so that /insights and `npm run models` agree with the chat.
    const pinned = process.env.RECO_MODEL_DIR?.trim();
    const version = await adoptInstalledVersion(db, { dir: pinned && pinned !== "off" ? pinned : DEMO_MODEL_DIR });
    if (version) console.log(`Model version ${version.name} registered (${version.status}).`);
  } finally {
    await db.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(`Set-up failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

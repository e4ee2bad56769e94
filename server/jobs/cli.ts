/**
 * `npm run update`: an incremental update of the serving version from the command line — the same job
 * as the button on /insights (server/jobs/update.ts), with a progress bar per stage. Ctrl-C cancels it
 * cleanly (nothing is left behind, the serving version is untouched).
 *   npm run update                        update from the interactions and feedback since the serving version
 *   npm run update -- --samples 2000      train on at most 2000 rows of the newest period (default: all)
 *   npm run update -- --export-only       only export those interactions (data/jobs/<id>/) for training elsewhere
 */
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { activeCatalog } from "../catalog/nouns";
import { getDb } from "../db/client";
import { getJob, jobVersionName, requestCancel } from "../db/queries/jobs";
import { AppError } from "../http/errors";
import { startTrainingDataExport, startUpdate } from "./jobs";

const usage = "Usage: npm run update [-- --samples N] [-- --export-only]";

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { samples: { type: "string" }, "export-only": { type: "boolean" } } });
  const samples = values.samples === undefined ? 0 : Number(values.samples);
  if (positionals.length || !Number.isInteger(samples) || samples < 0) throw new AppError("bad_request:usage", usage);
  const db = await getDb();

  let bar: cliProgress.SingleBar | null = null;
  let stage = "";
  const onProgress = (name: string, fraction: number) => {
    if (name !== stage) {
      bar?.update(100);
      bar?.stop();
      stage = name;
      bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: `${name.padEnd(9)} {bar} {percentage}% | {duration_formatted}`, noTTYOutput: true, notTTYSchedule: 5000, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(100, 0);
    }
    bar?.update(Math.round(fraction * 100));
  };
  const catalog = activeCatalog();
  const { job, done } = values["export-only"]
    ? await startTrainingDataExport(db, { catalog, actorId: null, onProgress })
    : await startUpdate(db, { catalog, actorId: null, trainSamples: samples, onProgress });
  console.error(`Job ${job.id} (${values["export-only"] ? "export" : "incremental update"} of ${catalog}) started; Ctrl-C cancels it.`);
  process.on("SIGINT", () => {
    console.error("\nCancelling at the next progress report…");
    void requestCancel(db, { id: job.id });
  });
  const outcome = await done;
  (bar as cliProgress.SingleBar | null)?.stop();
  const row = await getJob(db, { id: job.id });
  if (outcome === "succeeded") {
    if (values["export-only"]) console.log(`Exported to ${row?.outputPath}.`);
    else console.log(`Candidate ${await jobVersionName(db, { id: job.id })} registered: compare and promote it on /insights, or with npm run models.`);
    return 0;
  }
  console.error(outcome === "cancelled" ? "Cancelled; nothing was kept." : `Failed: ${row?.error ?? "see the log above"}`);
  return 1;
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(error instanceof AppError && error.code === "bad_request:usage" ? 2 : 1);
  });

/**
 * Import benchmark: MovieLens-100K (u.item + u.data, 100,003 ratings) and the shipped demo
 * catalog (goodbooks: 10,000 books + 111,426 interactions) into a fresh SQLite file and a fresh
 * PostgreSQL database; each import once into the empty database, then again (a no-op re-import).
 *
 *   npm run bench:import                       data from ../shared/data/movielens
 *   npm run bench:import -- /path/to/ml-100k   a folder holding u.item and u.data
 *
 * PostgreSQL: TEST_POSTGRES_URL (a server where it may create and drop a database), else a
 * throw-away server started like the tests' (tests/setup; fsync off, so writes are cheaper than on
 * a durable server). Skipped with a note when neither is available.
 * Prints a Markdown table (wall and CPU seconds: the CPU time is what the import itself cost when
 * other processes share the machine).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openDb, type Db } from "../server/db/client";
import { migrateDatabase } from "../server/db/migrate";
import { demoFiles } from "../server/import/demo";
import { importFiles, type ImportReport } from "../server/import/import";
import { createDatabase, databaseUrlFor, dropDatabase } from "../tests/setup/postgres-admin";
import { postgresBinariesMissing, startPostgresServer } from "../tests/setup/postgres-server";

const ML_DIR = process.argv[2] ?? fileURLToPath(new URL("../../shared/data/movielens/", import.meta.url));
const DATASETS = [
  { name: "MovieLens-100K", files: [path.join(ML_DIR, "u.item"), path.join(ML_DIR, "u.data")], catalog: undefined },
  { name: "goodbooks demo", files: demoFiles(), catalog: "goodbooks" },
];

interface Result {
  database: string;
  data: string;
  run: string;
  rows: number;
  wall: number;
  cpu: number;
}

async function timed(db: Db, files: string[], catalog: string | undefined) {
  const cpu = process.cpuUsage();
  const report: ImportReport = await importFiles(db, files, { catalog });
  const used = process.cpuUsage(cpu);
  return { report, cpu: (used.user + used.system) / 1e6 };
}

async function benchDatabase(database: string, url: string, results: Result[]) {
  await migrateDatabase(url);
  const db = await openDb(url);
  try {
    for (const { name, files, catalog } of DATASETS) {
      for (const run of ["first import", "re-import (no-op)"]) {
        const { report, cpu } = await timed(db, files, catalog);
        if (run !== "first import" && report.changed) throw new Error("re-import changed the database");
        const rows = report.files.reduce((sum, file) => sum + file.rows, 0);
        results.push({ database, data: name, run, rows, wall: report.seconds, cpu });
        console.error(`${database} ${name} ${run}: ${rows} rows in ${report.seconds.toFixed(1)} s`);
      }
    }
  } finally {
    await db.$disconnect();
  }
}

async function main() {
  const results: Result[] = [];
  const dir = await mkdtemp(path.join(os.tmpdir(), "reco-bench-import-"));
  try {
    await benchDatabase("SQLite", `file:${path.join(dir, "bench.db")}`, results);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  let serverUrl = process.env.TEST_POSTGRES_URL ?? null;
  let label = "PostgreSQL (TEST_POSTGRES_URL)";
  let server: Awaited<ReturnType<typeof startPostgresServer>> | null = null;
  if (!serverUrl && !postgresBinariesMissing()) {
    server = await startPostgresServer();
    serverUrl = server.url;
    label = "PostgreSQL 15 (local, fsync off)";
  }
  if (serverUrl) {
    const name = `reco_bench_${randomBytes(4).toString("hex")}`;
    await createDatabase(serverUrl, name);
    try {
      await benchDatabase(label, databaseUrlFor(serverUrl, name), results);
    } finally {
      await dropDatabase(serverUrl, name);
      await server?.stop();
    }
  } else {
    console.error(`PostgreSQL skipped: ${postgresBinariesMissing()}`);
  }

  console.log("| database | data | run | rows | seconds | CPU seconds | rows/s |");
  console.log("|---|---|---|---:|---:|---:|---:|");
  for (const r of results) {
    console.log(`| ${r.database} | ${r.data} | ${r.run} | ${r.rows.toLocaleString("en-US")} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} | ${Math.round(r.rows / r.wall).toLocaleString("en-US")} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

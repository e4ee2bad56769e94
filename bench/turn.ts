/**
 * Chat-turn latency: time to the first card and to the full answer, for 1 and 8 concurrent chats,
 * on SQLite and PostgreSQL, each loaded with the shipped demo catalog (goodbooks-10k).
 *
 *   npm run bench:turn                                   baseline recommender (and models/demo if built)
 *   npm run bench:turn -- --model models/demo            with a model version folder
 *   npm run bench:turn -- --model tests/fixtures/tiny-model   the tiny random-weight test model
 *   options: --turns N (per row, default 16)  --databases sqlite,postgres  --no-baseline
 *   RECO_PRECISION (auto, fp32, int8, fused-int8) and RECO_THREADS apply to the model as in the app.
 *
 * Turns run in-process (server/recommend/turn.ts through a real AI SDK UI message stream), so the
 * numbers are the server's work per chat without HTTP. Prints a Markdown table.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createUIMessageStream, type UIMessageChunk } from "ai";
import type { ChatMessage } from "../server/chat/types";
import { ensureConversation, saveUserMessage } from "../server/db/queries/conversations";
import { openDb, type Db } from "../server/db/client";
import { migrateDatabase } from "../server/db/migrate";
import { loadDemoCatalog } from "../server/import/demo";
import { runTurn } from "../server/recommend/turn";
import { QUERIES } from "./queries";
import { ensureVisitor } from "../server/db/queries/users";
import { createDatabase, databaseUrlFor, dropDatabase } from "../tests/setup/postgres-admin";
import { postgresBinariesMissing, startPostgresServer } from "../tests/setup/postgres-server";


type Timing = { firstCard: number; full: number };
type Row = { database: string; recommender: string; concurrency: number; timings: Timing[] };

async function timedTurn(db: Db, text: string): Promise<Timing> {
  const userId = randomUUID();
  const conversationId = `bench-${randomBytes(6).toString("hex")}`;
  await ensureVisitor(db, userId);
  await ensureConversation(db, { id: conversationId, userId, firstText: text });
  const message: ChatMessage = { id: randomUUID(), role: "user", parts: [{ type: "text", text }] };
  await saveUserMessage(db, { conversationId, message });
  const started = performance.now();
  let firstCard = Number.NaN;
  const stream = createUIMessageStream<ChatMessage>({
    execute: ({ writer }) => runTurn({ db, userId, conversationId, text, assistantMessageId: randomUUID(), writer }),
    onError: (error) => {
      throw error;
    },
  });
  for await (const chunk of stream as unknown as AsyncIterable<UIMessageChunk>) {
    if (chunk.type === "data-item" && Number.isNaN(firstCard)) firstCard = performance.now() - started;
  }
  return { firstCard, full: performance.now() - started };
}

async function benchDatabase(database: string, url: string, recommenders: (string | null)[], turns: number, rows: Row[]) {
  await migrateDatabase(url);
  const db = await openDb(url);
  try {
    await loadDemoCatalog(db);
    for (const model of recommenders) {
      process.env.RECO_MODEL_DIR = model ?? "off";
      await timedTurn(db, QUERIES[0]!); // warm-up: catalog index, model load
      for (const concurrency of [1, 8]) {
        const timings: Timing[] = [];
        for (let started = 0; started < turns; started += concurrency) {
          const batch = Array.from({ length: concurrency }, (_, i) => QUERIES[(started + i) % QUERIES.length]!);
          timings.push(...(await Promise.all(batch.map((q) => timedTurn(db, q)))));
        }
        const label = model ? `model ${model} (${process.env.RECO_PRECISION ?? "auto"})` : "baseline";
        rows.push({ database, recommender: label, concurrency, timings });
        console.error(`${database} · ${model ?? "baseline"} · ${concurrency} concurrent: done`);
      }
    }
  } finally {
    await db.$disconnect();
  }
}

/** The same on a throw-away database of the tests' PostgreSQL server (or TEST_POSTGRES_URL's). */
async function benchPostgres(recommenders: (string | null)[], turns: number, rows: Row[]) {
  const missing = postgresBinariesMissing();
  if (missing && !process.env.TEST_POSTGRES_URL) {
    console.error(`PostgreSQL skipped: ${missing}`);
    return;
  }
  const server = process.env.TEST_POSTGRES_URL ? null : await startPostgresServer();
  const serverUrl = process.env.TEST_POSTGRES_URL ?? server!.url;
  const name = `reco_bench_${randomBytes(4).toString("hex")}`;
  await createDatabase(serverUrl, name);
  try {
    await benchDatabase("PostgreSQL 15", databaseUrlFor(serverUrl, name), recommenders, turns, rows);
  } finally {
    await dropDatabase(serverUrl, name);
    await server?.stop();
  }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

async function main() {
  const { values } = parseArgs({
    options: {
      model: { type: "string", multiple: true },
      turns: { type: "string", default: "16" },
      databases: { type: "string", default: "sqlite,postgres" },
      "no-baseline": { type: "boolean", default: false },
    },
  });
  const turns = Number(values.turns);
  if (!Number.isInteger(turns) || turns < 1) throw new Error(`--turns must be a positive integer, not ${values.turns}`);
  const databases = values.databases.split(",");
  const unknown = databases.filter((d) => d !== "sqlite" && d !== "postgres");
  if (unknown.length > 0) throw new Error(`--databases takes sqlite and/or postgres, not ${unknown.join(", ")}`);
  const recommenders: (string | null)[] = [...(values["no-baseline"] ? [] : [null]), ...(values.model ?? [])];
  const rows: Row[] = [];

  if (databases.includes("sqlite")) {
    const dir = await mkdtemp(path.join(os.tmpdir(), "reco-bench-turn-"));
    try {
      await benchDatabase("SQLite", `file:${path.join(dir, "bench.db")}`, recommenders, turns, rows);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  if (databases.includes("postgres")) await benchPostgres(recommenders, turns, rows);

  console.log(`${turns} turns per row (queries cycle through ${QUERIES.length}); milliseconds.`);
  console.log("| database | recommender | concurrent chats | first card p50 | first card p90 | full answer p50 | full answer p90 |");
  console.log("|---|---|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    const first = r.timings.map((t) => t.firstCard);
    const full = r.timings.map((t) => t.full);
    const ms = (v: number) => Math.round(v).toLocaleString("en-US");
    console.log(
      `| ${r.database} | ${r.recommender} | ${r.concurrency} | ${ms(quantile(first, 0.5))} | ${ms(quantile(first, 0.9))} | ${ms(quantile(full, 0.5))} | ${ms(quantile(full, 0.9))} |`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

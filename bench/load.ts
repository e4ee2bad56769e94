/**
 * Load over HTTP: N concurrent chats (default 50) against a real `next start` on loopback, for a
 * bounded time (default 30 s, at most 60), on SQLite and on PostgreSQL, each loaded with the demo
 * catalog. Every chat is its own visitor (its own cookie) posting one message after another to its
 * own conversation, reading each streamed answer to its end. Afterwards the database is checked
 * against what the clients saw: every accepted message stored once, one complete answer each,
 * nothing left streaming. The server's memory (RSS of its process group) is sampled every second.
 *
 *   npm run build && npm run bench:load
 *   options: --chats 50 --seconds 30 --databases sqlite,postgres --model models/demo (default: baseline)
 *
 * The per-user message limit (server/chat/limits.ts) is raised for the run: this measures the
 * server, not the limiter. Prints a Markdown table.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openDb, type Db } from "../server/db/client";
import { migrateDatabase } from "../server/db/migrate";
import { loadDemoCatalog } from "../server/import/demo";
import { createDatabase, databaseUrlFor, dropDatabase } from "../tests/setup/postgres-admin";
import { postgresBinariesMissing, startPostgresServer } from "../tests/setup/postgres-server";
import { QUERIES } from "./queries";

const MAX_SECONDS = 60;

type Sent = { conversationId: string; messageId: string; status: number; firstCard: number; full: number };
/** `seconds`: the time new messages were sent; `wall`: until the last answer ended. */
type Result = { database: string; recommender: string; chats: number; seconds: number; wall: number; sent: Sent[]; rss: number[]; check: Check };
type Check = { lost: number; duplicated: number; unfinished: number; answersWithoutCards: number };

function startServer(port: number, databaseUrl: string, model: string | null): ChildProcess {
  return spawn("npx", ["next", "start", "-p", String(port), "-H", "127.0.0.1"], {
    detached: true, // its own process group: memory is summed over it, and it is stopped as one
    stdio: "ignore",
    env: { ...process.env, DATABASE_URL: databaseUrl, RECO_MODEL_DIR: model ?? "off", RECO_MESSAGES_PER_MINUTE: "100000", RECO_CONCURRENT_ANSWERS: "100" },
  });
}

async function waitUntilServing(base: string) {
  for (let i = 0; i < 600; i++) {
    const status = await fetch(`${base}/`, { redirect: "manual" }).then((r) => r.status, () => 0);
    if (status > 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the server at ${base} did not start`);
}

/** Resident memory of every process in the group, in MB (procps `ps`). */
function groupRssMb(pgid: number): number {
  const out = execFileSync("ps", ["-o", "rss=", "-g", String(pgid)], { encoding: "utf8" });
  return out.split("\n").reduce((sum, line) => sum + (Number(line.trim()) || 0), 0) / 1024;
}

/** One chat: a visitor of its own, sending messages one after another while `goOn(i)`. */
async function chat(base: string, goOn: (turn: number) => boolean, sent: Sent[]) {
  const home = await fetch(`${base}/`, { redirect: "manual" });
  const cookie = (home.headers.getSetCookie()[0] ?? "").split(";")[0]!;
  const conversationId = `load-${randomBytes(6).toString("hex")}`;
  for (let i = 0; goOn(i); i++) {
    const messageId = randomUUID();
    const started = performance.now();
    const response = await fetch(`${base}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, origin: base },
      body: JSON.stringify({ id: conversationId, message: { id: messageId, role: "user", parts: [{ type: "text", text: QUERIES[i % QUERIES.length] }] } }),
    });
    let firstCard = Number.NaN;
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (Number.isNaN(firstCard) && decoder.decode(value, { stream: true }).includes('"type":"data-item"')) firstCard = performance.now() - started;
    }
    sent.push({ conversationId, messageId, status: response.status, firstCard, full: performance.now() - started });
  }
}

/** What the database holds against what the clients were answered. */
async function check(db: Db, sent: Sent[]): Promise<Check> {
  const accepted = sent.filter((s) => s.status === 200);
  const conversations = [...new Set(accepted.map((s) => s.conversationId))];
  const messages = await db.message.findMany({
    where: { conversationId: { in: conversations } },
    select: { id: true, role: true, status: true, _count: { select: { recommendations: true } } },
  });
  const users = new Set(messages.filter((m) => m.role === "user").map((m) => m.id));
  const answers = messages.filter((m) => m.role === "assistant");
  return {
    lost: accepted.filter((s) => !users.has(s.messageId)).length + Math.max(0, accepted.length - answers.length),
    duplicated: Math.max(0, users.size - accepted.length) + Math.max(0, answers.length - accepted.length),
    unfinished: answers.filter((m) => m.status !== "complete").length,
    answersWithoutCards: answers.filter((m) => m._count.recommendations === 0).length,
  };
}

async function benchDatabase(database: string, url: string, model: string | null, chats: number, seconds: number, port: number): Promise<Result> {
  await migrateDatabase(url);
  const db = await openDb(url);
  try {
    await loadDemoCatalog(db);
    const server = startServer(port, url, model);
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitUntilServing(base);
      const warm: Sent[] = [];
      await chat(base, (turn) => turn < 1, warm); // one turn: catalog index, model load
      const rss: number[] = [groupRssMb(server.pid!)];
      const sampler = setInterval(() => rss.push(groupRssMb(server.pid!)), 1000);
      const sent: Sent[] = [];
      const start = performance.now();
      const until = start + seconds * 1000;
      await Promise.all(Array.from({ length: chats }, () => chat(base, () => performance.now() < until, sent)));
      clearInterval(sampler);
      rss.push(groupRssMb(server.pid!));
      const label = model ? `model ${model} (${process.env.RECO_PRECISION ?? "auto"})` : "baseline";
      const wall = (performance.now() - start) / 1000;
      return { database, recommender: label, chats, seconds, wall, sent, rss, check: await check(db, sent) };
    } finally {
      process.kill(-server.pid!, "SIGTERM");
    }
  } finally {
    await db.$disconnect();
  }
}

const quantile = (values: number[], q: number) => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : Number.NaN;
};

async function main() {
  const { values } = parseArgs({
    options: {
      chats: { type: "string", default: "50" },
      seconds: { type: "string", default: "30" },
      databases: { type: "string", default: "sqlite,postgres" },
      model: { type: "string" },
      port: { type: "string", default: "3290" },
    },
  });
  const chats = Number(values.chats);
  const seconds = Number(values.seconds);
  if (!Number.isInteger(chats) || chats < 1) throw new Error(`--chats must be a positive integer, not ${values.chats}`);
  if (!(seconds > 0 && seconds <= MAX_SECONDS)) throw new Error(`--seconds must be between 1 and ${MAX_SECONDS}, not ${values.seconds}`);
  const model = values.model ?? null;
  const port = Number(values.port);
  const results: Result[] = [];

  if (values.databases.includes("sqlite")) {
    const dir = await mkdtemp(path.join(os.tmpdir(), "reco-bench-load-"));
    try {
      results.push(await benchDatabase("SQLite", `file:${path.join(dir, "load.db")}`, model, chats, seconds, port));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  if (values.databases.includes("postgres")) {
    const missing = postgresBinariesMissing();
    if (missing && !process.env.TEST_POSTGRES_URL) console.error(`PostgreSQL skipped: ${missing}`);
    else {
      const server = process.env.TEST_POSTGRES_URL ? null : await startPostgresServer();
      const serverUrl = process.env.TEST_POSTGRES_URL ?? server!.url;
      const name = `reco_load_${randomBytes(4).toString("hex")}`;
      await createDatabase(serverUrl, name);
      try {
        results.push(await benchDatabase("PostgreSQL 15", databaseUrlFor(serverUrl, name), model, chats, seconds, port + 1));
      } finally {
        await dropDatabase(serverUrl, name);
        await server?.stop();
      }
    }
  }

  const ms = (v: number) => (Number.isNaN(v) ? "–" : Math.round(v).toLocaleString("en-US"));
  console.log(`${chats} concurrent chats sending for ${seconds} s; wall: until the last answer ended; latencies in ms; memory: RSS of the server's process group in MB (start / peak / end).`);
  console.log("| database | recommender | wall s | answers | answers/s | non-200 | lost | duplicated | unfinished | first card p50 | p95 | full answer p50 | p95 | memory |");
  console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const r of results) {
    const ok = r.sent.filter((s) => s.status === 200);
    const first = ok.map((s) => s.firstCard);
    const full = ok.map((s) => s.full);
    const memory = `${Math.round(r.rss[0]!)} / ${Math.round(Math.max(...r.rss))} / ${Math.round(r.rss.at(-1)!)}`;
    console.error(`${r.database} RSS every 5 s: ${r.rss.filter((_, i) => i % 5 === 0).map(Math.round).join(" ")}`);
    console.log(
      `| ${r.database} | ${r.recommender} | ${Math.round(r.wall)} | ${ok.length} | ${(ok.length / r.wall).toFixed(1)} | ${r.sent.length - ok.length} | ${r.check.lost} | ${r.check.duplicated} | ${r.check.unfinished} | ${ms(quantile(first, 0.5))} | ${ms(quantile(first, 0.95))} | ${ms(quantile(full, 0.5))} | ${ms(quantile(full, 0.95))} | ${memory} |`,
    );
    if (r.check.answersWithoutCards) console.log(`  (${r.check.answersWithoutCards} answers had no cards)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

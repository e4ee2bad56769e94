/**
 * `npm run bench:insights [-- --cards 2000000 --feedback 1000000 --repeat 5]`: the /insights page's
 * data on PostgreSQL with a year of activity — answers of 5 cards spread over 365 days, two model
 * versions, and feedback events on random cards — timed for the default range (30 days), a quarter
 * and the whole year: the first view (the daily rollup empty: every past day is computed and
 * stored) and warm views (stored days read, today computed live). Prints a table (ms).
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { openDb } from "../server/db/client";
import { migrateDatabase } from "../server/db/migrate";
import { insights } from "../server/insights/insights";
import { createDatabase, databaseUrlFor, dropDatabase } from "../tests/setup/postgres-admin";
import { postgresBinariesMissing, startPostgresServer } from "../tests/setup/postgres-server";

const { values } = parseArgs({
  options: { cards: { type: "string", default: "2000000" }, feedback: { type: "string", default: "1000000" }, repeat: { type: "string", default: "5" } },
});
const cards = Number(values.cards);
const feedback = Number(values.feedback);
const repeat = Number(values.repeat);
const answers = Math.ceil(cards / 5);
const users = 5000;
const conversations = 20000;

// Everything generated inside PostgreSQL (generate_series), ending now; the first half of the year by v1, the rest by v2.
const seed = [
  `INSERT INTO users (id, updated_at) SELECT 'u' || g, now() FROM generate_series(1, ${users}) g`,
  `INSERT INTO items (catalog, external_id, title, metadata, updated_at) SELECT 'books', g::text, 'Book ' || g, '{}', now() FROM generate_series(1, 10000) g`,
  `INSERT INTO conversations (id, user_id, updated_at) SELECT 'c' || g, 'u' || (1 + g % ${users}), now() FROM generate_series(1, ${conversations}) g`,
  `INSERT INTO messages (id, conversation_id, role, parts, status, created_at, updated_at, first_card_ms)
     SELECT 'm' || g, 'c' || (1 + g % ${conversations}), 'assistant', '[]', 'complete',
       now() - ((${answers} - g) * (365 * 86400.0 / ${answers})) * interval '1 second', now(), (200 + random() * 800)::int
     FROM generate_series(1, ${answers}) g`,
  `INSERT INTO recommendations (id, message_id, item_id, rank, score, model_version, reason, explanation, created_at)
     SELECT 'r' || g, 'm' || (1 + (g - 1) / 5), 1 + (g::bigint * 7919) % 10000, 1 + (g - 1) % 5, 1,
       CASE WHEN g < ${cards / 2} THEN 'v1' ELSE 'v2' END, 'similar to Book 1', 'text',
       now() - ((${answers} - (1 + (g - 1) / 5)) * (365 * 86400.0 / ${answers})) * interval '1 second'
     FROM generate_series(1, ${cards}) g`,
  `INSERT INTO feedback (id, recommendation_id, user_id, kind, created_at)
     SELECT 'f' || g, 'r' || (1 + (g::bigint * 104729) % ${cards}), 'u' || (1 + g % ${users}),
       (ARRAY['thumbs_up','thumbs_up','thumbs_up','click','click','click','save','save','thumbs_down','not_interested'])[1 + g % 10]::"FeedbackKind", now()
     FROM generate_series(1, ${feedback}) g`,
  "ANALYZE",
];

async function main() {
  const missing = postgresBinariesMissing();
  if (missing && !process.env.TEST_POSTGRES_URL) throw new Error(`PostgreSQL is needed: ${missing}`);
  const server = process.env.TEST_POSTGRES_URL ? null : await startPostgresServer();
  const serverUrl = process.env.TEST_POSTGRES_URL ?? server!.url;
  const name = `reco_insights_${randomBytes(4).toString("hex")}`;
  await createDatabase(serverUrl, name);
  const url = databaseUrlFor(serverUrl, name);
  try {
    await migrateDatabase(url);
    const db = await openDb(url);
    let t0 = performance.now();
    for (const sql of seed) await db.$executeRawUnsafe(sql);
    console.error(`seeded ${answers.toLocaleString("en-US")} answers, ${cards.toLocaleString("en-US")} cards, ${feedback.toLocaleString("en-US")} feedback events in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const day = (offset: number) => new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);
    const ranges = [
      ["30 days (default)", {}],
      ["90 days", { from: day(89) }],
      ["365 days", { from: day(364) }],
    ] as const;
    console.log(`PostgreSQL 15, ${cards.toLocaleString("en-US")} cards and ${feedback.toLocaleString("en-US")} feedback events over 365 days; insights() in ms`);
    console.log("| range | cards in range | first view (empty rollup) | warm p50 | warm min | warm max |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const [label, query] of ranges) {
      await db.dailyMetric.deleteMany(); // each range's first view starts from an empty rollup
      t0 = performance.now();
      const data = await insights(db, query);
      const first = performance.now() - t0;
      const times: number[] = [];
      for (let i = 0; i < repeat; i++) {
        t0 = performance.now();
        await insights(db, query);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const ms = (v: number) => Math.round(v).toLocaleString("en-US");
      console.log(`| ${label} | ${data.stats.current.cards.toLocaleString("en-US")} | ${ms(first)} | ${ms(times[Math.floor(times.length / 2)]!)} | ${ms(times[0]!)} | ${ms(times.at(-1)!)} |`);
    }
    await db.$disconnect();
  } finally {
    await dropDatabase(serverUrl, name);
    await server?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

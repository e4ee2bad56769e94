/**
 * Request-understanding benchmark: `npm run bench:understand`.
 *
 * Reads the goodbooks demo catalog (demo/goodbooks: titles, original titles, authors, genres, and
 * popularity counted from its ratings and to-read lists as the app counts it), runs `understand`
 * on every labelled message of bench/understand/messages.ts, and prints precision and recall per
 * category and per kind of fact, then the time understanding takes per message on the 10k-item
 * catalog and on a synthetic 100k-item one (the real titles plus 90k made by recombining their
 * words, with their authors and genres).
 */
import { type CatalogIndex, type IndexedItem, indexOf } from "../server/catalog/catalog-index";
import { type Request, understand } from "../server/understand/request";
import { prepareTitles } from "../server/understand/titles";
import { normalizeWords } from "../server/understand/words";
import { DEMO, demoItems } from "./understand/demo-catalog";
import { type BenchMessage, type Expected, MESSAGES } from "./understand/messages";

/** 90k more titles made from the real ones' words (seeded, so every run builds the same catalog). */
function syntheticItems(real: IndexedItem[], count: number): IndexedItem[] {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T,>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const words = real.map((r) => r.title.replace(/\s*\([^)]*\)\s*$/, "").split(/\s+/));
  const extra = ["Return", "Shadow", "Daughter", "Winter", "Secret", "House", "Night", "River", "Last", "Stone", "Garden", "Empire"];
  const items: IndexedItem[] = [];
  for (let i = 0; i < count; i++) {
    const a = pick(words);
    const b = pick(words);
    const title = [...a.slice(0, Math.ceil(a.length / 2)), ...(random() < 0.3 ? [pick(extra)] : []), ...b.slice(Math.floor(b.length / 2))].join(" ");
    const source = pick(real);
    const series = random() < 0.2 ? ` (${pick(words).slice(0, 2).join(" ")}, #${1 + Math.floor(random() * 6)})` : "";
    items.push({ ...source, id: 100_000 + i, externalId: `synthetic-${i}`, title: `${title}${series}`, originalTitle: null, popularity: Math.floor(random() * 30) });
  }
  return [...real, ...items];
}

type Fact = string;

function expectedFacts(e: Expected): Fact[] {
  return [
    ...(e.like ?? []).map((id) => `like:${id}`),
    ...(e.exclude ?? []).map((id) => `exclude:${id}`),
    ...(e.series ?? []).map((id) => `series:${id}`),
    ...(e.ask?.length ? [`ask:${[...e.ask].sort().join(",")}`] : []),
    ...(e.genres ?? []).map((g) => `genre:${g}`),
    ...(e.notGenres ?? []).map((g) => `not-genre:${g}`),
    ...(e.creators ?? []).map((c) => `creator:${normalizeWords(c)}`),
    ...(e.notCreators ?? []).map((c) => `not-creator:${normalizeWords(c)}`),
    ...(e.outside ? [`outside:${e.outside}`] : []),
    ...(e.unknown ?? []).map((t) => `unknown:${normalizeWords(t)}`),
  ];
}

function predictedFacts(r: Request, index: CatalogIndex): Fact[] {
  const ext = (id: number) => index.externalIds.get(id)!;
  return [
    ...r.likedItems.map((e) => `like:${ext(e.id)}`),
    ...r.excludedItems.map((e) => `exclude:${ext(e.id)}`),
    ...r.seriesItems.map((e) => `series:${ext(e.id)}`),
    ...r.ambiguous.map((a) => `ask:${a.candidates.map((c) => ext(c.id)).sort().join(",")}`),
    ...r.genres.map((g) => `genre:${g}`),
    ...r.excludedGenres.map((g) => `not-genre:${g}`),
    ...r.creators.map((c) => `creator:${normalizeWords(c)}`),
    ...r.excludedCreators.map((c) => `not-creator:${normalizeWords(c)}`),
    ...(r.outside ? [`outside:${r.outside.kind}`] : []),
    ...r.unknownTitles.map((s) => `unknown:${normalizeWords(s.text)}`),
  ];
}

type Tally = { tp: number; fp: number; fn: number };
const tally = (): Tally => ({ tp: 0, fp: 0, fn: 0 });
const precision = (t: Tally) => (t.tp + t.fp === 0 ? 1 : t.tp / (t.tp + t.fp));
const recall = (t: Tally) => (t.tp + t.fn === 0 ? 1 : t.tp / (t.tp + t.fn));
const f2 = (x: number) => x.toFixed(2);

// Fact kinds grouped as the targets name them.
const FACT_GROUP: Record<string, string> = {
  like: "item links", exclude: "item links", series: "series", ask: "ties asked", genre: "filters", "not-genre": "negated filters",
  creator: "filters", "not-creator": "negated filters", outside: "scope", unknown: "scope",
};

function run(index: CatalogIndex, messages: BenchMessage[]) {
  const byCategory = new Map<string, Tally>();
  const byGroup = new Map<string, Tally>();
  const overall = tally();
  const misses: string[] = [];
  for (const m of messages) {
    const previousCards = (m.previous ?? []).map((id) => index.byId.get(Number(id))!);
    const request = understand(m.text, index, { previousCards, catalogItem: "book" });
    const expected = new Set(expectedFacts(m.expect));
    const predicted = new Set(predictedFacts(request, index));
    const cat = byCategory.get(m.category) ?? tally();
    byCategory.set(m.category, cat);
    const add = (fact: Fact, field: keyof Tally) => {
      cat[field]++;
      overall[field]++;
      const group = FACT_GROUP[fact.split(":")[0]!]!;
      const g = byGroup.get(group) ?? tally();
      g[field]++;
      byGroup.set(group, g);
      // References are scored as their own group too.
      if (m.previous && (fact.startsWith("like:") || fact.startsWith("exclude:"))) {
        const r = byGroup.get("references") ?? tally();
        r[field]++;
        byGroup.set("references", r);
      }
    };
    for (const f of predicted) add(f, expected.has(f) ? "tp" : "fp");
    for (const f of expected) if (!predicted.has(f)) add(f, "fn");
    const wrong = [...predicted].filter((f) => !expected.has(f)).map((f) => `+${f}`);
    const missing = [...expected].filter((f) => !predicted.has(f)).map((f) => `-${f}`);
    if (wrong.length || missing.length) misses.push(`[${m.category}] ${m.text.slice(0, 90)}  ${[...wrong, ...missing].join(" ")}`);
  }
  return { byCategory, byGroup, overall, misses };
}

function latency(index: CatalogIndex, messages: BenchMessage[], rounds: number): { p50: number; p95: number; max: number } {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const m of messages) {
      const previousCards = (m.previous ?? []).map((id) => index.byId.get(Number(id))!);
      const t0 = performance.now();
      understand(m.text, index, { previousCards, catalogItem: "book" });
      if (round > 0) times.push(performance.now() - t0); // round 0 warms up
    }
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { p50: at(0.5), p95: at(0.95), max: times.at(-1)! };
}

function table(rows: [string, Tally][]) {
  console.log("| | precision | recall | facts expected | found right | found wrong |");
  console.log("|---|---|---|---|---|---|");
  for (const [name, t] of rows) console.log(`| ${name} | ${f2(precision(t))} | ${f2(recall(t))} | ${t.tp + t.fn} | ${t.tp} | ${t.fp} |`);
}

function main() {
  const verbose = process.argv.includes("--misses");
  const items = demoItems();
  const demo = indexOf("goodbooks", items, "bench");
  for (const m of MESSAGES) {
    const ids = [...(m.previous ?? []), ...Object.values(m.expect).flat()].filter((v) => /^\d+$/.test(String(v)));
    for (const id of ids) if (!demo.byId.has(Number(id))) throw new Error(`bench message "${m.text}": book_id ${id} is not in ${DEMO}/books.csv`);
  }
  const t0 = performance.now();
  prepareTitles(demo);
  const build10k = performance.now() - t0;
  const result = run(demo, MESSAGES);

  console.log(`Request understanding on the goodbooks demo catalog (${demo.entries.length} items), ${MESSAGES.length} labelled messages\n`);
  console.log("By category:\n");
  table([...result.byCategory.entries()]);
  console.log("\nBy kind of fact:\n");
  table([...result.byGroup.entries()].sort());
  console.log("");
  table([["overall", result.overall]]);

  const big = indexOf("synthetic", syntheticItems(items, 90_000), "bench-100k");
  const t1 = performance.now();
  prepareTitles(big);
  const build100k = performance.now() - t1;
  const small = latency(demo, MESSAGES, 4);
  const large = latency(big, MESSAGES, 4);
  const bigResult = run(big, MESSAGES);
  console.log("\nTime to understand one message (3 timed rounds over every message, after a warm-up round):\n");
  console.log("| catalog | p50 ms | p95 ms | max ms | matcher build ms | link precision | link recall |");
  console.log("|---|---|---|---|---|---|---|");
  const links = (r: ReturnType<typeof run>) => r.byGroup.get("item links") ?? tally();
  console.log(`| goodbooks demo, ${demo.entries.length} items | ${f2(small.p50)} | ${f2(small.p95)} | ${f2(small.max)} | ${build10k.toFixed(0)} | ${f2(precision(links(result)))} | ${f2(recall(links(result)))} |`);
  console.log(`| demo + synthetic, ${big.entries.length} items | ${f2(large.p50)} | ${f2(large.p95)} | ${f2(large.max)} | ${build100k.toFixed(0)} | ${f2(precision(links(bigResult)))} | ${f2(recall(links(bigResult)))} |`);
  if (verbose) {
    console.log(`\nMessages not fully understood (${result.misses.length}); + found but not expected, - expected but not found:\n`);
    for (const line of result.misses) console.log(line);
  } else {
    console.log(`\n${result.misses.length} messages not fully understood; \`npm run bench:understand -- --misses\` lists them.`);
  }
}

main();

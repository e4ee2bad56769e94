/**
 * Rebuilds demo/goodbooks — the demo catalog shipped with Reco — from goodbooks-10k
 * (Zygmunt Zając, CC BY-SA 4.0; github.com/zygmuntz/goodbooks-10k).
 *
 *   npm run demo:build                      reads ../shared/data/goodbooks
 *   npm run demo:build -- /path/to/goodbooks-10k
 *
 * What it writes (and what ATTRIBUTION.md lists as changed):
 * - books.csv: all 10,000 books with the columns the app uses; no image URLs (the covers are
 *   not under the data license), no isbn13 (upstream stores it as a float, digits lost), isbn
 *   left-padded to its 10 digits (upstream dropped leading zeros), years as integers, plus a
 *   "genres" column derived from the users' shelf tags (book_tags.csv + tags.csv) with the
 *   vocabulary below.
 * - ratings.csv, to_read.csv: the interaction rows as they are (time order = row order).
 * LICENSE and ATTRIBUTION.md are kept by hand beside them.
 */
import { createReadStream } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse";
import { parse as parseSync } from "csv-parse/sync";

const SOURCE = process.argv[2] ?? fileURLToPath(new URL("../../shared/data/goodbooks/", import.meta.url));
const OUT = fileURLToPath(new URL("./goodbooks/", import.meta.url));

/**
 * Genre vocabulary: each genre and the Goodreads shelf names that mean it. Shelves are free text,
 * so most tags are not genres ("to-read", "kindle", "favorites", "read-in-2015"); only these count.
 * A shelf may mean two genres ("sci-fi-fantasy").
 */
const GENRES: Record<string, string[]> = {
  fantasy: ["fantasy", "fantasy-fiction", "high-fantasy", "epic-fantasy", "sci-fi-fantasy", "scifi-fantasy", "fantasy-sci-fi", "fantasy-scifi", "science-fiction-fantasy", "sci-fi-and-fantasy", "sff", "sf-fantasy", "sf-f", "ya-fantasy", "paranormal-fantasy", "fantasy-paranormal"],
  "urban-fantasy": ["urban-fantasy"],
  "science-fiction": ["science-fiction", "sci-fi", "scifi", "sf", "sci-fi-fantasy", "scifi-fantasy", "fantasy-sci-fi", "fantasy-scifi", "science-fiction-fantasy", "sci-fi-and-fantasy", "sff", "sf-fantasy", "sf-f", "space-opera"],
  dystopian: ["dystopian", "dystopia", "post-apocalyptic"],
  steampunk: ["steampunk"],
  paranormal: ["paranormal", "supernatural", "vampires", "vampire", "witches", "paranormal-romance", "paranormal-fantasy", "fantasy-paranormal", "pnr"],
  mystery: ["mystery", "mysteries", "detective", "murder-mystery", "mystery-thriller", "mystery-suspense", "mystery-crime", "crime-mystery", "cozy-mystery", "mystery-thrillers", "thriller-mystery", "mystery-suspense-thriller", "mystery-thriller-suspense"],
  thriller: ["thriller", "thrillers", "suspense", "suspense-thriller", "thriller-suspense", "mystery-thriller", "crime-thriller", "psychological-thriller", "legal-thriller", "espionage", "spy", "thriller-mystery", "mystery-thrillers", "mystery-suspense-thriller", "mystery-thriller-suspense"],
  crime: ["crime", "crime-fiction", "crime-thriller", "crime-mystery", "mystery-crime"],
  "true-crime": ["true-crime"],
  horror: ["horror"],
  romance: ["romance", "contemporary-romance", "historical-romance", "paranormal-romance", "adult-romance", "ya-romance", "regency", "pnr"],
  "chick-lit": ["chick-lit", "chicklit", "chic-lit"],
  "new-adult": ["new-adult"],
  erotica: ["erotica", "erotic"],
  "historical-fiction": ["historical-fiction", "historical", "fiction-historical", "historical-romance"],
  "young-adult": ["young-adult", "ya", "ya-fiction", "young-adult-fiction", "teen", "teen-fiction", "ya-lit", "ya-books", "youngadult", "ya-fantasy", "ya-romance"],
  children: ["children", "childrens", "children-s", "kids", "children-s-books", "childrens-books", "kids-books", "juvenile", "juvenile-fiction", "children-s-literature", "children-s-lit", "childrens-lit", "childrens-literature", "children-s-fiction", "childrens-fiction", "children-books", "kid-lit", "kid-books", "picture-books", "picture-book", "chapter-books"],
  "middle-grade": ["middle-grade"],
  classics: ["classics", "classic", "classic-literature", "classic-lit", "classic-fiction", "modern-classics"],
  "literary-fiction": ["literary-fiction", "literature", "literary"],
  contemporary: ["contemporary", "contemporary-fiction"],
  "magical-realism": ["magical-realism"],
  adventure: ["adventure", "action-adventure"],
  humor: ["humor", "humour", "funny", "comedy", "humorous", "satire"],
  "short-stories": ["short-stories", "short-story", "anthology"],
  plays: ["plays", "theatre", "shakespeare"],
  poetry: ["poetry"],
  "graphic-novels": ["graphic-novels", "graphic-novel", "comics", "comic", "manga"],
  mythology: ["mythology", "fairy-tales", "fairytales", "retellings"],
  war: ["war", "wwii", "world-war-ii", "military"],
  western: ["western", "westerns"],
  "non-fiction": ["non-fiction", "nonfiction", "non-fic"],
  biography: ["biography", "biographies", "autobiography", "bio", "biography-memoir", "memoir-biography", "biography-autobiography", "biographical", "bio-memoir", "biographies-memoirs"],
  memoir: ["memoir", "memoirs", "biography-memoir", "memoir-biography", "bio-memoir", "biographies-memoirs"],
  history: ["history"],
  science: ["science", "nature", "math"],
  philosophy: ["philosophy"],
  psychology: ["psychology"],
  religion: ["religion", "religious", "christian", "christian-fiction", "spirituality", "spiritual"],
  "self-help": ["self-help", "self-improvement", "personal-development", "productivity"],
  business: ["business", "economics", "leadership"],
  politics: ["politics", "political", "feminism"],
  essays: ["essays"],
  travel: ["travel"],
  cooking: ["cooking", "cookbooks", "cookbook", "food"],
  art: ["art", "music"],
  sports: ["sports"],
  lgbt: ["lgbt", "lgbtq", "gay"],
};

// A book keeps its strongest genres: at most MAX, each with at least SHARE of the strongest
// one's shelf count (and MIN_COUNT shelvings), so a stray shelf does not make a genre.
const MAX = 5;
const SHARE = 0.15;
const MIN_COUNT = 10;

const KEEP = ["book_id", "title", "original_title", "authors", "original_publication_year", "language_code", "average_rating", "ratings_count", "isbn"];

async function main() {
  const shelfGenres = new Map<string, string[]>();
  for (const [genre, shelves] of Object.entries(GENRES)) {
    for (const shelf of shelves) shelfGenres.set(shelf, [...(shelfGenres.get(shelf) ?? []), genre]);
  }
  const tagName = new Map<string, string>();
  for (const row of parseSync(await readFile(join(SOURCE, "tags.csv")), { columns: true }) as Record<string, string>[]) {
    tagName.set(row.tag_id!, row.tag_name!);
  }

  // goodreads_book_id → genre → shelf count (book_tags.csv is 1M rows: stream it).
  const scores = new Map<string, Map<string, number>>();
  const bookTags = createReadStream(join(SOURCE, "book_tags.csv")).pipe(parse({ columns: true }));
  for await (const row of bookTags as AsyncIterable<Record<string, string>>) {
    const genres = shelfGenres.get(tagName.get(row.tag_id!) ?? "");
    if (!genres) continue;
    const book = scores.get(row.goodreads_book_id!) ?? new Map<string, number>();
    scores.set(row.goodreads_book_id!, book);
    for (const genre of genres) book.set(genre, (book.get(genre) ?? 0) + Number(row.count));
  }

  const books = parseSync(await readFile(join(SOURCE, "books.csv")), { columns: true }) as Record<string, string>[];
  const lines = [[...KEEP, "genres"].join(",")];
  let withGenres = 0;
  for (const book of books) {
    const ranked = [...(scores.get(book.goodreads_book_id!) ?? new Map()).entries()].sort((a, b) => b[1] - a[1]);
    const top = ranked[0]?.[1] ?? 0;
    const genres = ranked.filter(([, count]) => count >= MIN_COUNT && count >= SHARE * top).slice(0, MAX).map(([genre]) => genre);
    if (genres.length > 0) withGenres++;
    const out: Record<string, string> = {
      ...book,
      isbn: book.isbn ? book.isbn.padStart(10, "0") : "",
      original_publication_year: book.original_publication_year ? String(Math.trunc(Number(book.original_publication_year))) : "",
      genres: genres.join("|"),
    };
    lines.push([...KEEP, "genres"].map((column) => csvField(out[column] ?? "")).join(","));
  }
  await writeFile(join(OUT, "books.csv"), lines.join("\n") + "\n");

  for (const name of ["ratings.csv", "to_read.csv"]) {
    const text = (await readFile(join(SOURCE, name), "utf8")).replace(/\r\n/g, "\n");
    await writeFile(join(OUT, name), text.endsWith("\n") ? text : text + "\n");
  }
  console.log(`demo/goodbooks: ${books.length} books (${withGenres} with genres), ratings.csv and to_read.csv copied from ${SOURCE}`);
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

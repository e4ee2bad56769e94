import { basename, extname } from "node:path";
import { parse as parseCsvSync } from "csv-parse/sync";
import { ImportError, type RowProblems } from "../errors";
import { firstLine } from "../lines";
import type { InteractionRow, ItemRow } from "../rows";
import { describeColumn, INTERACTION_ALIASES, ITEM_ALIASES, looksLikeInteractions, looksLikeItems } from "./columns";
import { csvInteractions, csvItems, INTERACTION_COLUMNS, ITEM_COLUMNS, jsonlInteractions, jsonlItems } from "./generic";
import { GOODBOOKS_CATALOG, goodbooksBooks, goodbooksRatings, goodbooksToRead } from "./goodbooks";
import {
  ML100K_CATALOG, ML1M_CATALOG, ML_LATEST_CATALOG, ml100kItems, ml100kRatings, ml1mMovies, ml1mRatings, mlLatestMovies, mlLatestRatings,
} from "./movielens";

/** Reads a file's rows; bad rows go to `problems` (see errors.ts), bad files throw. */
type Rows<Row> = (path: string, file: string, problems: RowProblems) => AsyncGenerator<Row>;

/** A recognised file: what it holds, its default catalog (null: the caller must name one), its reader. */
export type Format =
  | { name: string; kind: "items"; catalog: string | null; rows: Rows<ItemRow> }
  | { name: string; kind: "interactions"; catalog: string | null; rows: Rows<InteractionRow> };

const SUPPORTED = [
  "MovieLens-100K u.data / u.item",
  "MovieLens-1M ratings.dat / movies.dat",
  "MovieLens ratings.csv (userId,movieId,rating,timestamp) / movies.csv (movieId,title,genres)",
  "goodbooks-10k books.csv / ratings.csv / to_read.csv",
  `items CSV or JSONL (${ITEM_COLUMNS.map((c) => describeColumn(c, ITEM_ALIASES)).join(", ")}, ...)`,
  `interactions CSV or JSONL (${INTERACTION_COLUMNS.map((c) => describeColumn(c, INTERACTION_ALIASES)).join(", ")}, [rating], [kind])`,
].join("; ");

/** Recognises a file by its name and first line (MovieLens-100K has no header). */
export async function detectFormat(path: string, file: string): Promise<Format> {
  const first = await firstLine(path, file, "utf8-or-latin1");
  if (first === null) throw new ImportError(file, null, "file is empty");
  const name = basename(path);
  const text = first.text;

  if (name === "u.data" || /^\d+\t\d+\t[\d.]+\t\d+\t?$/.test(text)) {
    return { name: "MovieLens-100K ratings", kind: "interactions", catalog: ML100K_CATALOG, rows: ml100kRatings };
  }
  if (name === "u.item" || text.split("|").length === 24) {
    return { name: "MovieLens-100K items", kind: "items", catalog: ML100K_CATALOG, rows: ml100kItems };
  }

  // ML-1M: ratings.dat "1::1193::5::978300760", movies.dat "1::Toy Story (1995)::Animation|Comedy".
  if (name === "ratings.dat" || /^\d+::\d+::[\d.]+::\d+$/.test(text)) {
    return { name: "MovieLens-1M ratings", kind: "interactions", catalog: ML1M_CATALOG, rows: ml1mRatings };
  }
  if (name === "movies.dat" || /^\d+::.*::.*$/.test(text)) {
    return { name: "MovieLens-1M movies", kind: "items", catalog: ML1M_CATALOG, rows: ml1mMovies };
  }

  if ([".jsonl", ".ndjson"].includes(extname(name).toLowerCase()) || text.trimStart().startsWith("{")) {
    let keys: string[];
    try {
      keys = Object.keys(JSON.parse(text) as object);
    } catch (error) {
      throw new ImportError(file, first.no, `not valid JSON (${(error as Error).message})`);
    }
    if (looksLikeInteractions(keys)) return { name: "interactions JSONL", kind: "interactions", catalog: null, rows: jsonlInteractions };
    if (looksLikeItems(keys)) return { name: "items JSONL", kind: "items", catalog: null, rows: jsonlItems };
    throw new ImportError(file, first.no, 'cannot tell items from interactions: a line needs "id" and "title" (items) or "user", "item" and "timestamp" (interactions)');
  }

  let header: string[];
  try {
    header = ((parseCsvSync(text) as string[][])[0] ?? []).map((column) => column.trim());
  } catch (error) {
    throw new ImportError(file, first.no, `header is not valid CSV (${(error as Error).message})`);
  }
  const has = (...columns: string[]) => columns.every((column) => header.includes(column));
  if (has("userId", "movieId")) return { name: "MovieLens ratings.csv", kind: "interactions", catalog: ML_LATEST_CATALOG, rows: mlLatestRatings };
  if (has("movieId")) return { name: "MovieLens movies.csv", kind: "items", catalog: ML_LATEST_CATALOG, rows: mlLatestMovies };
  if (has("book_id", "title")) return { name: "goodbooks books", kind: "items", catalog: GOODBOOKS_CATALOG, rows: goodbooksBooks };
  if (has("user_id", "book_id", "rating")) return { name: "goodbooks ratings", kind: "interactions", catalog: GOODBOOKS_CATALOG, rows: goodbooksRatings };
  if (has("user_id", "book_id")) return { name: "goodbooks to_read", kind: "interactions", catalog: GOODBOOKS_CATALOG, rows: goodbooksToRead };
  // Generic: decide by the columns present, so a missing column gets its own clear error later.
  if (looksLikeInteractions(header)) return { name: "interactions CSV", kind: "interactions", catalog: null, rows: csvInteractions };
  if (looksLikeItems(header)) return { name: "items CSV", kind: "items", catalog: null, rows: csvItems };
  throw new ImportError(file, first.no, `unrecognised file (header: ${text.slice(0, 200)}). Supported: ${SUPPORTED}`);
}

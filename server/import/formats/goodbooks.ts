import { z } from "zod";
import { eachRow, type RowProblems } from "../errors";
import { check, creatorsField, genreField, Id, Num, Title, Year, type InteractionRow, type ItemRow, type JsonObject } from "../rows";
import { readTable } from "./table";

/**
 * goodbooks-10k (Zygmunt Zając, CC BY-SA 4.0): books.csv, ratings.csv (user_id,book_id,rating)
 * and to_read.csv (user_id,book_id) — the upstream layout, and the shipped demo (demo/goodbooks),
 * which keeps the same columns minus the image URLs plus a derived "genres" column.
 */
export const GOODBOOKS_CATALOG = "goodbooks";

/**
 * The files have no timestamps, but each is sorted by time, oldest first. Row i (0-based, after
 * the header) is stamped EPOCH + i seconds: the order is real, the clock time is not. The two files
 * are separate timelines (both start at EPOCH). Because the stamp depends only on the row's
 * position, re-importing a file — or a longer version of it that starts with the same rows — adds
 * nothing twice.
 */
export const GOODBOOKS_EPOCH = new Date("2017-01-01T00:00:00Z");

const at = (index: number) => new Date(GOODBOOKS_EPOCH.getTime() + index * 1000);

// Never stored: the Goodreads cover images are not under the data's license.
const isUrlColumn = (name: string) => name.endsWith("_url");
const NUMERIC_COLUMNS = [
  "books_count", "average_rating", "ratings_count", "work_ratings_count", "work_text_reviews_count",
  "ratings_1", "ratings_2", "ratings_3", "ratings_4", "ratings_5",
];
// Built once: zod compiles a schema on its first use, which costs far more than a parse.
const Numeric = z.object(Object.fromEntries(NUMERIC_COLUMNS.map((name) => [name, Num.optional()])));
// Columns that become Item fields rather than metadata.
const FIELDS = new Set(["book_id", "title", "authors", "original_publication_year", "genres"]);

const Book = z.looseObject({
  book_id: Id,
  title: Title,
  authors: z.string(),
  original_publication_year: Year,
  genres: z.string().optional(),
});

export function goodbooksBooks(path: string, file: string, problems: RowProblems): AsyncGenerator<ItemRow> {
  const table = readTable(path, file, ["book_id", "title", "authors", "original_publication_year"], problems);
  return eachRow(table, problems, ({ line, values }) => {
    const book = check(Book, values, file, line);
    const metadata: JsonObject = {};
    for (const [name, value] of Object.entries(values)) {
      if (FIELDS.has(name) || isUrlColumn(name) || value.trim() === "") continue;
      metadata[name] = value.trim();
    }
    const numbers = Object.fromEntries(NUMERIC_COLUMNS.filter((name) => name in metadata).map((name) => [name, metadata[name]]));
    Object.assign(metadata, check(Numeric, numbers, file, line));
    return {
      line,
      externalId: book.book_id,
      title: book.title,
      year: book.original_publication_year,
      creators: creatorsField(book.authors.split(", ")),
      // Upstream books.csv has no genres; the demo's has "fantasy|young-adult" (demo/build-goodbooks.ts).
      genres: genreField((book.genres ?? "").split("|")),
      metadata,
    };
  });
}

const Rating = z.object({ user_id: Id, book_id: Id, rating: Num });
const ToRead = z.object({ user_id: Id, book_id: Id });

export function goodbooksRatings(path: string, file: string, problems: RowProblems): AsyncGenerator<InteractionRow> {
  return eachRow(readTable(path, file, ["user_id", "book_id", "rating"], problems), problems, ({ line, index, values }) => {
    const row = check(Rating, values, file, line);
    return { line, user: row.user_id, item: row.book_id, kind: "rating", value: row.rating, at: at(index) };
  });
}

export function goodbooksToRead(path: string, file: string, problems: RowProblems): AsyncGenerator<InteractionRow> {
  return eachRow(readTable(path, file, ["user_id", "book_id"], problems), problems, ({ line, index, values }) => {
    const row = check(ToRead, values, file, line);
    return { line, user: row.user_id, item: row.book_id, kind: "to_read", value: null, at: at(index) };
  });
}

import { z } from "zod";
import { eachRow, ImportError, type RowProblems } from "../errors";
import { readLines } from "../lines";
import { check, genreField, Id, Num, Timestamp, Title, tag, type InteractionRow, type ItemRow } from "../rows";
import { readTable } from "./table";

/**
 * MovieLens (GroupLens) files, in the two layouts people have:
 * - ML-100K: u.data (user \t item \t rating \t unix time, no header) and u.item
 *   (id|title|release date|video release date|IMDb URL|19 genre flags, latin-1).
 * - ML-1M: ratings.dat (UserID::MovieID::Rating::Timestamp) and movies.dat
 *   (MovieID::Title::Genres with "|", latin-1).
 * - ML-latest / ML-25M style: ratings.csv (userId,movieId,rating,timestamp) and
 *   movies.csv (movieId,title,genres with "|").
 * Their movie ids are not one id space, so each layout gets its own default catalog.
 */
export const ML100K_CATALOG = "movielens";
export const ML1M_CATALOG = "movielens-1m";
export const ML_LATEST_CATALOG = "movielens-latest";

// u.genre, in the order of u.item's flag columns; "unknown" carries no information.
const ML100K_GENRES = [
  null, "action", "adventure", "animation", "children", "comedy", "crime", "documentary", "drama", "fantasy",
  "film-noir", "horror", "musical", "mystery", "romance", "science-fiction", "thriller", "war", "western",
];

/** ML genre names → our tags ("Sci-Fi" → "science-fiction", to match the books' vocabulary). */
function movieGenre(name: string): string | null {
  const t = tag(name);
  if (t === "" || t === "no-genres-listed" || t === "unknown") return null;
  if (t === "sci-fi") return "science-fiction";
  if (t === "childrens") return "children";
  return t;
}

/**
 * "Usual Suspects, The (1995)" → { title: "The Usual Suspects", year: 1995 }: the year has its own
 * column, and a trailing article goes back to the front (as LLaRA prepares MovieLens titles).
 */
export function movieTitle(raw: string): { title: string; year: number | null } {
  let title = raw.trim();
  let year: number | null = null;
  const withYear = /^(.*\S)\s*\((\d{4})(?:[–-]\d{0,4})?\)$/.exec(title);
  if (withYear) {
    title = withYear[1]!;
    year = Number(withYear[2]);
  }
  const article = /^(.*), (The|A|An)$/.exec(title);
  if (article) title = `${article[2]} ${article[1]}`;
  return { title, year };
}

const Ml100kRating = z.object({ user: Id, item: Id, rating: Num, timestamp: Timestamp });

export function ml100kRatings(path: string, file: string, problems: RowProblems): AsyncGenerator<InteractionRow> {
  return eachRow(readLines(path, file), problems, ({ no, text }) => {
    const trimmed = text.trimEnd(); // the distributed u.data has a stray trailing tab on some lines
    if (trimmed === "") return null;
    const fields = trimmed.split("\t");
    if (fields.length !== 4) {
      throw new ImportError(file, no, `expected 4 tab-separated fields (user, item, rating, timestamp), found ${fields.length}`);
    }
    const [user, item, rating, timestamp] = fields;
    const row = check(Ml100kRating, { user, item, rating, timestamp }, file, no);
    return { line: no, user: row.user, item: row.item, kind: "rating", value: row.rating, at: row.timestamp };
  });
}

const Ml100kItem = z.object({ id: Id, title: Title });
const FLAGS = ML100K_GENRES.length;

export function ml100kItems(path: string, file: string, problems: RowProblems): AsyncGenerator<ItemRow> {
  return eachRow(readLines(path, file, "utf8-or-latin1"), problems, ({ no, text }) => {
    if (text.trim() === "") return null;
    const fields = text.split("|");
    if (fields.length !== 5 + FLAGS) {
      throw new ImportError(file, no, `expected ${5 + FLAGS} "|"-separated fields (id|title|release date|video release date|IMDb URL|${FLAGS} genre flags), found ${fields.length}`);
    }
    const [id, rawTitle, releaseDate, videoReleaseDate, imdbUrl] = fields as [string, string, string, string, string];
    const flags = fields.slice(5);
    const bad = flags.findIndex((flag) => flag !== "0" && flag !== "1");
    if (bad !== -1) throw new ImportError(file, no, `genre flag ${bad + 1} must be 0 or 1, got ${JSON.stringify(flags[bad])}`);
    const row = check(Ml100kItem, { id, title: rawTitle }, file, no);
    const { title, year } = movieTitle(row.title);
    const released = /(\d{4})$/.exec(releaseDate.trim());
    const metadata: ItemRow["metadata"] = { original_title: row.title };
    if (releaseDate.trim()) metadata.release_date = releaseDate.trim();
    if (videoReleaseDate.trim()) metadata.video_release_date = videoReleaseDate.trim();
    if (imdbUrl.trim()) metadata.imdb_url = imdbUrl.trim();
    return {
      line: no,
      externalId: row.id,
      title,
      year: year ?? (released ? Number(released[1]) : null),
      creators: null,
      genres: genreField(ML100K_GENRES.filter((genre, i): genre is string => genre !== null && flags[i] === "1")),
      metadata,
    };
  });
}

/** One of ML-1M's "::"-separated lines as its fields (null for a blank line). */
function doubleColonFields(file: string, no: number, text: string, columns: string[]): string[] | null {
  if (text.trim() === "") return null;
  const fields = text.split("::");
  if (fields.length !== columns.length) {
    throw new ImportError(file, no, `expected ${columns.length} "::"-separated fields (${columns.join(", ")}), found ${fields.length}`);
  }
  return fields;
}

export function ml1mRatings(path: string, file: string, problems: RowProblems): AsyncGenerator<InteractionRow> {
  return eachRow(readLines(path, file, "utf8-or-latin1"), problems, ({ no, text }) => {
    const fields = doubleColonFields(file, no, text, ["UserID", "MovieID", "Rating", "Timestamp"]);
    if (fields === null) return null;
    const [user, item, rating, timestamp] = fields;
    const row = check(Ml100kRating, { user, item, rating, timestamp }, file, no);
    return { line: no, user: row.user, item: row.item, kind: "rating", value: row.rating, at: row.timestamp };
  });
}

export function ml1mMovies(path: string, file: string, problems: RowProblems): AsyncGenerator<ItemRow> {
  return eachRow(readLines(path, file, "utf8-or-latin1"), problems, ({ no, text }) => {
    const fields = doubleColonFields(file, no, text, ["MovieID", "Title", "Genres"]);
    if (fields === null) return null;
    const [movieId, title, genres] = fields;
    return movieRow(check(MlLatestMovie, { movieId, title, genres }, file, no), no);
  });
}

const MlLatestRating = z.object({ userId: Id, movieId: Id, rating: Num, timestamp: Timestamp });

export function mlLatestRatings(path: string, file: string, problems: RowProblems): AsyncGenerator<InteractionRow> {
  return eachRow(readTable(path, file, ["userId", "movieId", "rating", "timestamp"], problems), problems, ({ line, values }) => {
    const row = check(MlLatestRating, values, file, line);
    return { line, user: row.userId, item: row.movieId, kind: "rating", value: row.rating, at: row.timestamp };
  });
}

const MlLatestMovie = z.object({ movieId: Id, title: Title, genres: z.string() });

export function mlLatestMovies(path: string, file: string, problems: RowProblems): AsyncGenerator<ItemRow> {
  return eachRow(readTable(path, file, ["movieId", "title", "genres"], problems), problems, ({ line, values }) =>
    movieRow(check(MlLatestMovie, values, file, line), line),
  );
}

function movieRow(movie: z.output<typeof MlLatestMovie>, line: number): ItemRow {
  const { title, year } = movieTitle(movie.title);
  const genres = movie.genres.split("|").map(movieGenre).filter((genre): genre is string => genre !== null);
  return { line, externalId: movie.movieId, title, year, creators: null, genres: genreField(genres), metadata: { original_title: movie.title } };
}

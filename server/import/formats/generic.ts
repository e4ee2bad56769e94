import { z } from "zod";
import { eachRow, ImportError, type RowProblems } from "../errors";
import { readLines } from "../lines";
import {
  check, creatorsField, genreField, Id, Kind, Metadata, Num, Timestamp, Title, Year,
  type InteractionRow, type ItemRow, type JsonObject, type JsonValue,
} from "../rows";
import { type Aliases, canonicalColumn, INTERACTION_ALIASES, ITEM_ALIASES } from "./columns";
import { readTable } from "./table";

/**
 * Our own simple formats, for any catalog, as CSV (header line) or JSON Lines (one object a line):
 *
 * items:        id, title, [year], [creators], [genres], [metadata], [any other column]
 *   creators: "; "-separated (CSV) or an array (JSONL); genres: "|", ";" or ","-separated or an
 *   array; metadata: a JSON object (in CSV, JSON text). Other columns go into metadata (CSV values
 *   stay strings — use the metadata column or JSONL for numbers).
 * interactions: user, item, timestamp, [rating], [kind]
 *   timestamp: unix seconds or ISO 8601 (no zone = UTC); kind: one of InteractionKind, default
 *   "rating" when a rating is given, else "view"; a rating is only allowed with kind "rating".
 * Columns and keys may go by other common names (item_id, userId, created_at…: formats/columns.ts).
 */
export const ITEM_COLUMNS = ["id", "title"] as const;
export const INTERACTION_COLUMNS = ["user", "item", "timestamp"] as const;

const Names = z.union([z.string(), z.array(z.string())], {
  error: (issue) => `expected a string or an array of strings, got ${JSON.stringify(issue.input)}`,
});

const GenericItem = z.looseObject({
  id: Id,
  title: Title,
  year: Year.optional(),
  creators: Names.optional(),
  genres: Names.optional(),
  metadata: z.unknown().optional(),
});

const MetadataField = z.object({ metadata: Metadata });

function itemRow(record: Record<string, unknown>, file: string, line: number): ItemRow {
  const { id, title, year, creators, genres, metadata, ...rest } = check(GenericItem, record, file, line);
  const extra: JsonObject = {};
  for (const [name, value] of Object.entries(rest)) {
    if (value !== null && value !== "" && value !== undefined) extra[name] = value as JsonValue;
  }
  let given: unknown = metadata;
  if (typeof metadata === "string") {
    try {
      given = metadata.trim() === "" ? {} : JSON.parse(metadata);
    } catch (error) {
      throw new ImportError(file, line, `metadata: not valid JSON (${(error as Error).message})`);
    }
  }
  const meta = given === undefined || given === null ? {} : check(MetadataField, { metadata: given }, file, line).metadata;
  return {
    line,
    externalId: id,
    title,
    year: year ?? null,
    creators: creatorsField(typeof creators === "string" ? creators.split(";") : (creators ?? [])),
    genres: genreField(typeof genres === "string" ? genres.split(/[|;,]/) : (genres ?? [])),
    metadata: { ...extra, ...(meta as JsonObject) },
  };
}

const GenericInteraction = z
  .object({
    user: Id,
    item: Id,
    timestamp: Timestamp,
    // Empty CSV cells mean "not given". The unions repeat the inner schemas' messages, which a
    // union would otherwise replace with a bare "Invalid input".
    rating: z.union([z.literal("").transform(() => null), z.null(), Num], { error: (issue) => `expected a number, got ${JSON.stringify(issue.input)}` }).optional(),
    kind: z.union([z.literal("").transform(() => undefined), Kind], { error: (issue) => `expected one of ${Kind.options.join(", ")}, got ${JSON.stringify(issue.input)}` }).optional(),
  })
  .transform((row, ctx) => {
    const rating = row.rating ?? null;
    const kind = row.kind ?? (rating === null ? "view" : "rating");
    if (kind === "rating" && rating === null) {
      ctx.addIssue({ code: "custom", path: ["rating"], message: 'is required when kind is "rating"' });
    } else if (kind !== "rating" && rating !== null) {
      ctx.addIssue({ code: "custom", path: ["rating"], message: `is only allowed with kind "rating" (kind is "${kind}")` });
    }
    return { ...row, kind, rating };
  });

function interactionRow(record: Record<string, unknown>, file: string, line: number): InteractionRow {
  const row = check(GenericInteraction, record, file, line);
  return { line, user: row.user, item: row.item, kind: row.kind, value: row.rating, at: row.timestamp };
}

export function csvItems(path: string, file: string, problems: RowProblems): AsyncGenerator<ItemRow> {
  return eachRow(readTable(path, file, ITEM_COLUMNS, problems, ITEM_ALIASES), problems, ({ line, values }) => itemRow(values, file, line));
}

export function csvInteractions(path: string, file: string, problems: RowProblems): AsyncGenerator<InteractionRow> {
  return eachRow(readTable(path, file, INTERACTION_COLUMNS, problems, INTERACTION_ALIASES), problems, ({ line, values }) => interactionRow(values, file, line));
}

/** One JSON object per line; blank lines are skipped. */
export async function* readJsonLines(path: string, file: string, problems: RowProblems): AsyncGenerator<{ line: number; record: Record<string, unknown> }> {
  let rows = 0;
  for await (const { no, text } of readLines(path, file)) {
    if (text.trim() === "") continue;
    rows++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      problems.add(no, `not valid JSON (${(error as Error).message})`);
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      problems.add(no, "expected a JSON object on each line");
      continue;
    }
    yield { line: no, record: value as Record<string, unknown> };
  }
  if (rows === 0) throw new ImportError(file, null, "no rows");
}

/** A JSON line's keys under their canonical names; two keys meaning the same thing is a bad row. */
function canonicalKeys(record: Record<string, unknown>, aliases: Aliases, file: string, line: number): Record<string, unknown> {
  const renamed: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    const name = canonicalColumn(key, aliases);
    if (name in from) throw new ImportError(file, line, `keys "${from[name]}" and "${key}" both mean "${name}": keep one`);
    from[name] = key;
    renamed[name] = value;
  }
  return renamed;
}

export function jsonlItems(path: string, file: string, problems: RowProblems): AsyncGenerator<ItemRow> {
  return eachRow(readJsonLines(path, file, problems), problems, ({ line, record }) => itemRow(canonicalKeys(record, ITEM_ALIASES, file, line), file, line));
}

export function jsonlInteractions(path: string, file: string, problems: RowProblems): AsyncGenerator<InteractionRow> {
  return eachRow(readJsonLines(path, file, problems), problems, ({ line, record }) =>
    interactionRow(canonicalKeys(record, INTERACTION_ALIASES, file, line), file, line));
}

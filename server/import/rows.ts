import { z } from "zod";
import { InteractionKind } from "../db/generated/sqlite/enums";
import { ImportError } from "./errors";

/**
 * What every format turns its lines into, and the zod field schemas they share. A format reads
 * the source's own columns; from here on the importer only sees these two row shapes.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface ItemRow {
  line: number;
  externalId: string;
  title: string;
  year: number | null;
  /** "; "-separated authors / directors. */
  creators: string | null;
  /** Lower-case tags as "|a|b|" (see genreField). */
  genres: string | null;
  metadata: JsonObject;
}

export interface InteractionRow {
  line: number;
  user: string;
  item: string;
  kind: InteractionKind;
  /** The rating for kind "rating"; null for the other kinds. */
  value: number | null;
  at: Date;
}

/** Validates one row; the first problem becomes an ImportError naming file, line and field. */
export function check<S extends z.ZodType>(schema: S, input: unknown, file: string, line: number): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new ImportError(file, line, `${field}${issue?.message ?? "invalid row"}`);
}

const shown = (value: unknown) => JSON.stringify(value)?.slice(0, 80) ?? String(value);

/** A source id: a non-empty string (integers, as JSON writes them, are turned into strings). */
export const Id = z
  .union([z.string(), z.int()], { error: (issue) => `expected an id (string or integer), got ${shown(issue.input)}` })
  .transform((value) => String(value).trim())
  .refine((value) => value.length > 0, "is empty")
  .refine((value) => value.length <= 200, "is longer than 200 characters");

export const Title = z
  .string({ error: (issue) => `expected a title (string), got ${shown(issue.input)}` })
  .trim()
  .min(1, "is empty")
  .max(1000, "is longer than 1000 characters");

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A number, from JSON or from CSV text ("4.5"). */
export const Num = z
  .union([z.number(), z.string().trim().regex(NUMBER, { error: (issue) => `expected a number, got ${shown(issue.input)}` })], {
    error: (issue) => `expected a number, got ${shown(issue.input)}`,
  })
  .transform(Number)
  .refine(Number.isFinite, "is not a finite number");

/** A publication / release year; empty means unknown. Goodbooks writes years as "2008.0". */
export const Year = z
  .union([z.literal("").transform(() => null), z.null(), Num], {
    error: (issue) => `expected a year, got ${shown(issue.input)}`,
  })
  .refine((year) => year === null || (Number.isInteger(year) && year >= -5000 && year <= 3000), {
    message: "expected a whole year between -5000 and 3000",
  });

export const Kind = z.enum(InteractionKind, {
  error: (issue) => `expected one of ${Object.values(InteractionKind).join(", ")}, got ${shown(issue.input)}`,
});

// Unix seconds above this are almost certainly milliseconds.
const LAST_SECOND = Date.UTC(2200, 0, 1) / 1000;
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * When an interaction happened: unix seconds (number or digits) or an ISO 8601 date / date-time.
 * A date-time without a zone is read as UTC, so an import means the same on every machine.
 */
export const Timestamp = z
  .union([z.number(), z.string()], { error: (issue) => `expected unix seconds or an ISO 8601 date, got ${shown(issue.input)}` })
  .transform((value, ctx) => {
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const seconds = Number(text);
    if (seconds <= LAST_SECOND) return new Date(Math.round(seconds * 1000));
    ctx.addIssue({ code: "custom", message: `${text} is after the year 2200: expected unix seconds, not milliseconds` });
    return z.NEVER;
  }
  const match = ISO_8601.exec(text);
  if (match) {
    const iso = text.replace(" ", "T") + (match[7] ? "" : match[4] ? "Z" : "T00:00:00Z");
    const at = new Date(iso);
    // Date() rolls 2021-02-30 over to March; insist the calendar date is the one written.
    const rolledOver =
      !match[7] &&
      (at.getUTCFullYear() !== Number(match[1]) || at.getUTCMonth() + 1 !== Number(match[2]) || at.getUTCDate() !== Number(match[3]));
    if (!Number.isNaN(at.getTime()) && !rolledOver) return at;
  }
  ctx.addIssue({ code: "custom", message: `expected unix seconds or an ISO 8601 date, got ${shown(value)}` });
  return z.NEVER;
});

export const Metadata = z.record(z.string(), z.json(), {
  error: (issue) => `expected a JSON object, got ${shown(issue.input)}`,
});

/** Lower-case, dash-separated tag: "Science Fiction" → "science-fiction", "Children's" → "childrens". */
export function tag(text: string): string {
  return text
    .toLowerCase()
    .replace(/['’]/g, "")
    .replace(/&/g, "and")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Tags stored as "|a|b|" so `genres LIKE '%|fantasy|%'` matches whole tags on SQLite and PostgreSQL. */
export function genreField(tags: Iterable<string>): string | null {
  const unique = [...new Set([...tags].map(tag).filter((t) => t !== ""))];
  return unique.length > 0 ? `|${unique.join("|")}|` : null;
}

/** Creators joined with "; " (the Item.creators convention), or null when there are none. */
export function creatorsField(names: Iterable<string>): string | null {
  const kept = [...names].map((name) => name.trim()).filter((name) => name !== "");
  return kept.length > 0 ? kept.join("; ") : null;
}

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { isUtf8 } from "node:buffer";
import { Readable } from "node:stream";
import { parse as parseCsv } from "csv-parse";
import { ImportError } from "./errors";

/** Longest line accepted. A longer one is almost always a binary file or a missing line break. */
export const MAX_LINE_BYTES = 1 << 20;

/**
 * "utf8": every line must be valid UTF-8 (what every supported format declares).
 * "utf8-or-latin1": MovieLens-100K's u.item is ISO-8859-1; a line that happens to be valid UTF-8
 * (a converted copy) is read as UTF-8, any other as latin-1. Accented latin-1 text is almost never
 * valid UTF-8, so the guess is safe line by line.
 */
export type Encoding = "utf8" | "utf8-or-latin1";

export interface Line {
  /** 1-based line number in the file. */
  no: number;
  text: string;
}

export interface FileFacts {
  sha256: string;
  bytes: number;
  /** Number of lines (a last line without a line break counts). */
  lines: number;
}

/** Hashes the file and counts its lines in one streaming pass (the count feeds the progress bar). */
export async function inspectFile(path: string): Promise<FileFacts> {
  const hash = createHash("sha256");
  let bytes = 0;
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    last = chunk[chunk.length - 1] ?? last;
  }
  if (last !== 10) lines++;
  return { sha256: hash.digest("hex"), bytes, lines };
}

/**
 * What the first bytes of a file say it is, when that is not text this importer reads: the
 * problem in words (never the bytes themselves), or null.
 */
export function encodingProblem(head: Buffer): string | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) return "the file is UTF-16 encoded (it starts with a UTF-16 byte-order mark); save it as UTF-8";
  if (starts(0x1f, 0x8b)) return "the file is gzip-compressed; decompress it first (gunzip)";
  if (starts(0x50, 0x4b, 0x03, 0x04)) return "the file is a ZIP archive (an Excel .xlsx workbook is one); unzip it, or export the sheet as CSV";
  // UTF-16 without a byte-order mark: ASCII text with a NUL byte after (or before) every character.
  const sample = head.subarray(0, 512);
  let nulsAtOdd = 0;
  let nulsAtEven = 0;
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) i % 2 ? nulsAtOdd++ : nulsAtEven++;
  if (sample.length >= 8 && Math.max(nulsAtOdd, nulsAtEven) >= sample.length / 2 - 2) return "the file looks UTF-16 encoded (a NUL byte beside every character); save it as UTF-8";
  return null;
}

// C0 control characters other than tab. Line feeds split lines and a final carriage return is a
// Windows line end; anything else (NUL above all) has no place in an id or a title.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u0008\u000A-\u001F]/;
const CONTROL_NAMES: Record<number, string> = { 0: "NUL", 7: "BEL", 8: "backspace", 11: "vertical tab", 12: "form feed", 13: "carriage return", 27: "ESC" };

function controlCharacterProblem(text: string): string | null {
  const at = text.search(CONTROL_CHARACTER);
  if (at < 0) return null;
  const code = text.charCodeAt(at);
  const name = `U+${code.toString(16).toUpperCase().padStart(4, "0")}${CONTROL_NAMES[code] ? ` (${CONTROL_NAMES[code]})` : ""}`;
  return `control character ${name} at column ${at + 1}: text must not contain control characters other than tab${code === 0 ? " (is this a binary file?)" : ""}`;
}

/**
 * Streams a file line by line: strips a UTF-8 byte-order mark and "\r" line ends; rejects a file
 * that is not text (UTF-16, compressed), a line over MAX_LINE_BYTES, bytes that are not valid
 * UTF-8 and control characters, naming the line.
 */
export async function* readLines(
  path: string,
  name: string,
  encoding: Encoding = "utf8",
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<Line> {
  let no = 0;
  let carry: Buffer = Buffer.alloc(0);
  const decode = (bytes: Buffer): string => {
    if (bytes.length > maxLineBytes) {
      throw new ImportError(name, no, `line is longer than ${maxLineBytes} bytes (the limit); is this a text file?`);
    }
    if (no === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    if (bytes[bytes.length - 1] === 13) bytes = bytes.subarray(0, -1);
    let text: string;
    if (isUtf8(bytes)) text = bytes.toString("utf8");
    else if (encoding === "utf8-or-latin1") text = bytes.toString("latin1");
    else throw new ImportError(name, no, "invalid UTF-8 (files must be UTF-8 encoded; convert it, e.g. `iconv -f latin1 -t utf-8`)");
    const control = controlCharacterProblem(text);
    if (control) throw new ImportError(name, no, control);
    return text;
  };
  let first = true;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (first) {
      first = false;
      const problem = encodingProblem(chunk);
      if (problem) throw new ImportError(name, null, problem);
    }
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
      no++;
      yield { no, text: decode(buf.subarray(start, nl)) };
      start = nl + 1;
    }
    carry = buf.subarray(start);
    if (carry.length > maxLineBytes) {
      no++;
      decode(carry); // throws: the unfinished line is already too long
    }
  }
  if (carry.length > 0) {
    no++;
    yield { no, text: decode(carry) };
  }
}

/** The first line of a file that is not blank, or null for an empty file (format detection). */
export async function firstLine(path: string, name: string, encoding: Encoding = "utf8"): Promise<Line | null> {
  for await (const line of readLines(path, name, encoding)) {
    if (line.text.trim() !== "") return line;
  }
  return null;
}

export interface CsvRecord {
  /** Line on which the record ends (a quoted field may span lines). */
  line: number;
  fields: string[];
}

/**
 * CSV records through csv-parse, fed by readLines so the encoding and line-length checks (and
 * their line numbers) are the same as for every other format. Blank lines are skipped.
 */
export async function* readCsv(path: string, name: string): AsyncGenerator<CsvRecord> {
  async function* text() {
    // Hand csv-parse a few thousand lines at a time: one stream chunk per line is slow.
    let batch: string[] = [];
    for await (const line of readLines(path, name)) {
      batch.push(line.text);
      if (batch.length === 4096) {
        yield batch.join("\n") + "\n";
        batch = [];
      }
    }
    if (batch.length > 0) yield batch.join("\n") + "\n";
  }
  const parser = parseCsv({
    info: true,
    relax_column_count: true, // the formats check the column count themselves, naming the columns
    skip_empty_lines: true,
    max_record_size: MAX_LINE_BYTES,
  });
  const source = Readable.from(text());
  source.on("error", (error) => parser.destroy(error)); // pipe() alone would swallow readLines' errors
  source.pipe(parser);
  let line = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      line = info.lines;
      yield { line, fields: record };
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    const csvError = error as { message?: string; lines?: number };
    throw new ImportError(name, csvError.lines ?? line + 1, `not valid CSV: ${csvError.message ?? String(error)}`);
  } finally {
    source.destroy(); // when the reader stops early, close the file too
  }
}

import { ImportError, type RowProblems } from "../errors";
import { readCsv } from "../lines";
import { type Aliases, canonicalHeader, describeColumn } from "./columns";

export interface TableRow {
  line: number;
  /** 0-based position among the data rows (goodbooks derives time from it). */
  index: number;
  values: Record<string, string>;
}

/**
 * A CSV file with a header line: checks the required columns are there (or stops), and that every
 * row has as many fields as the header (or records the row in `problems` and skips it), and hands
 * each row over as { column: value }. With `aliases`, columns are renamed to their canonical names
 * first ("user_id" → "user"; formats/columns.ts).
 */
export async function* readTable(
  path: string,
  file: string,
  required: readonly string[],
  problems: RowProblems,
  aliases: Aliases = {},
): AsyncGenerator<TableRow> {
  let header: string[] | null = null;
  let index = 0;
  for await (const { line, fields } of readCsv(path, file)) {
    if (header === null) {
      const given = fields.map((name) => name.trim());
      header = canonicalHeader(given, aliases, file, line);
      const missing = required.filter((name) => !header!.includes(name));
      if (missing.length > 0) {
        const list = missing.map((name) => describeColumn(name, aliases)).join(", ");
        throw new ImportError(file, line, `missing column${missing.length > 1 ? "s" : ""} ${list} (header: ${given.join(",")}; expected ${required.join(", ")})`);
      }
      continue;
    }
    if (fields.length !== header.length) {
      problems.add(line, `expected ${header.length} fields (${header.join(",")}), found ${fields.length}`);
      index++;
      continue;
    }
    const values: Record<string, string> = {};
    header.forEach((name, i) => (values[name] = fields[i]!));
    yield { line, index: index++, values };
  }
  if (index === 0) throw new ImportError(file, null, "no rows after the header line");
}

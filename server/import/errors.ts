/**
 * The one error the importer throws for bad input. It names the file and, when the problem is in a
 * row, the line, so the person fixing the file knows where to look. Nothing is written when it is
 * thrown: the whole import runs in one transaction.
 *
 * A file with bad rows is read to its end first, so one error lists them all (the first
 * MAX_LISTED): `line` and `reason` are the first, `more` the next ones, `moreCount` how many
 * followed it in all.
 */
export class ImportError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
    readonly more: readonly RowProblem[] = [],
    readonly moreCount = 0,
  ) {
    const first = line === null ? `${file}: ${reason}` : `${file}, line ${line}: ${reason}`;
    const listed = more.map((problem) => `\n  line ${problem.line}: ${problem.reason}`).join("");
    const unlisted = moreCount - more.length;
    super(first + listed + (unlisted > 0 ? `\n  … and ${unlisted} more bad row${unlisted === 1 ? "" : "s"}` : ""));
    this.name = "ImportError";
  }
}

export interface RowProblem {
  line: number;
  reason: string;
}

export const MAX_LISTED = 20;

/**
 * The bad rows of one file. A row's problem is recorded and the row skipped, so reading goes on
 * and the error lists every bad row; once there is one, nothing more is written (the transaction
 * is rolled back anyway). Problems with the file itself (encoding, CSV syntax, a missing column)
 * still stop the import at once.
 */
export class RowProblems {
  private readonly listed: RowProblem[] = [];
  count = 0;

  constructor(readonly file: string) {}

  add(line: number, reason: string) {
    this.count++;
    if (this.listed.length < MAX_LISTED) this.listed.push({ line, reason });
  }

  /** Converts one row; an ImportError about a line of this file is recorded and gives null. */
  row<T>(convert: () => T): T | null {
    try {
      return convert();
    } catch (error) {
      if (error instanceof ImportError && error.file === this.file && error.line !== null) {
        this.add(error.line, error.reason);
        return null;
      }
      throw error;
    }
  }

  throwIfAny() {
    // Unknown items are found a batch after format problems: list in line order.
    const [first, ...rest] = [...this.listed].sort((a, b) => a.line - b.line);
    if (first) throw new ImportError(this.file, first.line, first.reason, rest, this.count - 1);
  }
}

/**
 * Each record's row: `convert` returns the row, or null to skip the record (a blank line); a row
 * it rejects with an ImportError is recorded in `problems` and skipped.
 */
export async function* eachRow<Record, Row>(
  records: AsyncIterable<Record>,
  problems: RowProblems,
  convert: (record: Record) => Row | null,
): AsyncGenerator<Row> {
  for await (const record of records) {
    const row = problems.row(() => convert(record));
    if (row !== null) yield row;
  }
}

/**
 * The one error the importer throws for bad input. It names the file and, when the problem is in a
 * row, the line, so the person fixing the file knows where to look. Nothing is written when it is
 * thrown: the whole import runs in one transaction.
 */
export class ImportError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(line === null ? `${file}: ${reason}` : `${file}, line ${line}: ${reason}`);
    this.name = "ImportError";
  }
}

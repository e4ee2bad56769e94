import { stat } from "node:fs/promises";
import type { Db } from "../db/client";
import type { Prisma } from "../db/generated/sqlite/client";
import { ImportError, RowProblems } from "./errors";
import { detectFormat, type Format } from "./formats";
import { InteractionWriter } from "./interactions";
import { CatalogItems } from "./items";
import { inspectFile, type FileFacts } from "./lines";

export interface ImportProgress {
  file: string;
  /** Lines of this file read so far, and in all. */
  done: number;
  total: number;
}

export interface ImportOptions {
  /** Catalog to import into; default: the format's own ("movielens", "goodbooks", ...). */
  catalog?: string;
  onProgress?: (progress: ImportProgress) => void;
  /** Check only: do everything, report what would change, then roll back. */
  dryRun?: boolean;
  /** Largest file accepted, in bytes (default: RECO_IMPORT_MAX_BYTES, else 2 GiB). */
  maxFileBytes?: number;
}

/**
 * The import holds one transaction (on SQLite, the write lock) for its whole run, and keeps a key
 * per interaction row in memory (server/import/README.md): a file too big for that is refused up
 * front, before anything is read.
 */
const DEFAULT_MAX_FILE_BYTES = 2 * 1024 ** 3;

export function maxImportFileBytes(env: Record<string, string | undefined> = process.env): number {
  const raw = env.RECO_IMPORT_MAX_BYTES;
  if (raw === undefined || raw === "") return DEFAULT_MAX_FILE_BYTES;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`RECO_IMPORT_MAX_BYTES must be a positive whole number of bytes, not ${JSON.stringify(raw)}`);
  return n;
}

const size = (bytes: number) => (bytes < 1024 ** 2 ? `${bytes} bytes` : `${(bytes / 1024 ** 2).toFixed(1)} MB`);

export interface FileReport {
  file: string;
  format: string;
  kind: "items" | "interactions";
  sha256: string;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Exact repeats of an earlier row of this import, skipped. */
  duplicates: number;
  /** When an earlier import run recorded a file with the same content in this catalog. */
  importedBefore: Date | null;
}

export interface ImportReport {
  catalog: string;
  files: FileReport[];
  usersCreated: number;
  /** False when every row was already stored: the import was a no-op. */
  changed: boolean;
  /** A dry run: the counts say what an import would do; nothing was kept. */
  dryRun: boolean;
  seconds: number;
}

const CATALOG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface Planned {
  /** The path as given: also how messages name the file. */
  file: string;
  facts: FileFacts;
  format: Format;
}

/**
 * Imports catalog and interaction files in ONE transaction: any bad row rolls back everything,
 * so the database is either fully updated or untouched. Items files are written before
 * interaction files, so interactions may refer to items of the same import. Idempotent: what is
 * already stored is counted as unchanged.
 *
 * `files` are paths; error messages name them as given.
 */
export async function importFiles(db: Db, files: string[], opts: ImportOptions = {}): Promise<ImportReport> {
  const started = performance.now();
  if (files.length === 0) throw new Error("no files to import");

  const planned: Planned[] = [];
  for (const file of files) {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new ImportError(file, null, "no such file");
    const limit = opts.maxFileBytes ?? maxImportFileBytes();
    if (info.size > limit) {
      throw new ImportError(file, null, `file is ${size(info.size)}, over the ${size(limit)} limit (RECO_IMPORT_MAX_BYTES): split it by time and import the parts in order`);
    }
    planned.push({ file, facts: await inspectFile(file), format: await detectFormat(file, file) });
  }
  const catalog = chooseCatalog(planned, opts.catalog);
  // Items first: interactions look their items up.
  planned.sort((a, b) => Number(a.format.kind === "interactions") - Number(b.format.kind === "interactions"));
  const source = (file: string) => `import:${planned.find((p) => p.file === file)!.facts.sha256.slice(0, 12)}`;

  // Everything the import writes, inside its one transaction.
  const writeAll = async (tx: Prisma.TransactionClient) => {
    const items = new CatalogItems(catalog);
    await items.loadIds(tx);
    const interactions = new InteractionWriter(catalog, items, source);
    await interactions.loadUsers(tx);
    const reports: FileReport[] = [];
    let usersCreated = 0;
    for (const { file, facts, format } of planned) {
      const progress = (line: number) => opts.onProgress?.({ file, done: line, total: facts.lines });
      progress(0);
      // Bad rows are collected and the file read to its end, so one error lists them all.
      const problems = new RowProblems(file);
      let counts;
      if (format.kind === "items") {
        counts = await items.write(tx, file, format.rows(file, file, problems), problems, progress);
      } else {
        counts = await interactions.write(tx, file, format.rows(file, file, problems), problems, progress);
        usersCreated += counts.users;
      }
      problems.throwIfAny(); // rolls the whole import back
      progress(facts.lines);
      const earlier = await tx.importRun.findFirst({ where: { catalog, sha256: facts.sha256 }, orderBy: { createdAt: "asc" } });
      reports.push({
        file,
        format: format.name,
        kind: format.kind,
        sha256: facts.sha256,
        rows: counts.rows,
        inserted: counts.inserted,
        updated: counts.updated,
        unchanged: counts.unchanged,
        duplicates: counts.duplicates,
        importedBefore: earlier?.createdAt ?? null,
      });
      // A run is recorded only when it changed something, so a repeated import writes nothing.
      if (counts.inserted + counts.updated > 0) {
        await tx.importRun.create({
          data: { catalog, fileName: file, sha256: facts.sha256, kind: format.kind, rows: counts.rows, inserted: counts.inserted },
        });
      }
    }
    return { reports, usersCreated };
  };
  let result: Awaited<ReturnType<typeof writeAll>>;
  try {
    result = await db.$transaction(
      async (tx) => {
        const written = await writeAll(tx);
        if (opts.dryRun) throw new DryRunDone(written);
        return written;
      },
      { timeout: 60 * 60_000, maxWait: 60_000 }, // one transaction, however long the files are
    );
  } catch (error) {
    if (!(error instanceof DryRunDone)) throw error;
    result = error.result; // rolled back on purpose
  }

  return {
    catalog,
    files: result.reports,
    usersCreated: result.usersCreated,
    changed: result.reports.some((report) => report.inserted + report.updated > 0),
    dryRun: opts.dryRun ?? false,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Thrown at the end of a dry run's transaction to roll it back, carrying the counts out. */
class DryRunDone extends Error {
  constructor(readonly result: { reports: FileReport[]; usersCreated: number }) {
    super("dry run");
  }
}

function chooseCatalog(planned: Planned[], given: string | undefined): string {
  if (given !== undefined) {
    if (!CATALOG_NAME.test(given)) throw new Error(`catalog name "${given}" must be letters, digits, ".", "_" or "-" (at most 64)`);
    return given;
  }
  const defaults = [...new Set(planned.map((p) => p.format.catalog).filter((catalog) => catalog !== null))];
  if (defaults.length > 1) {
    throw new Error(`these files belong to different catalogs (${defaults.join(", ")}): import them separately, or name one with --catalog`);
  }
  if (defaults.length === 0) {
    const generic = planned.find((p) => p.format.catalog === null)!;
    throw new ImportError(generic.file, null, `${generic.format.name} needs a catalog name: pass --catalog <name> (or { catalog } to importFiles)`);
  }
  return defaults[0]!;
}

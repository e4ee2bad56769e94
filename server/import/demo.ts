import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Db } from "../db/client";
import { GOODBOOKS_CATALOG } from "./formats/goodbooks";
import { importFiles, type ImportProgress, type ImportReport } from "./import";
import { progressBar } from "./progress";

/**
 * The demo catalog shipped in the repository: goodbooks-10k (CC BY-SA 4.0) in demo/goodbooks,
 * built by demo/build-goodbooks.ts. It is read by the ordinary goodbooks importer.
 */
export const DEMO_DIR = fileURLToPath(new URL("../../demo/goodbooks/", import.meta.url));
export const DEMO_CATALOG = GOODBOOKS_CATALOG;

export function demoFiles(): string[] {
  return ["books.csv", "ratings.csv", "to_read.csv"].map((name) => {
    const path = join(DEMO_DIR, name);
    const shown = relative(process.cwd(), path);
    return shown.startsWith("..") ? path : shown;
  });
}

export interface DemoOptions {
  /** Show a progress bar on stderr. */
  progress?: boolean;
  onProgress?: (progress: ImportProgress) => void;
}

/** Loads the demo catalog (idempotent: a second load changes nothing). */
export async function loadDemoCatalog(db: Db, opts: DemoOptions = {}): Promise<ImportReport> {
  const bar = opts.progress ? progressBar() : null;
  try {
    return await importFiles(db, demoFiles(), {
      catalog: DEMO_CATALOG,
      onProgress: (p) => {
        bar?.onProgress(p);
        opts.onProgress?.(p);
      },
    });
  } finally {
    bar?.stop();
  }
}

/**
 * First start: loads the demo catalog when the database has no "goodbooks" items yet, and says
 * whether it did. Counting items is enough: a load is all-or-nothing (one transaction). When
 * several app instances start at once, one load wins and the others' fail on the unique keys
 * and roll back; they find the catalog there and report that it was already loaded.
 */
export async function ensureDemoCatalog(db: Db, opts: DemoOptions = {}): Promise<boolean> {
  const hasDemo = async () => (await db.item.count({ where: { catalog: DEMO_CATALOG } })) > 0;
  if (await hasDemo()) return false;
  try {
    await loadDemoCatalog(db, opts);
    return true;
  } catch (error) {
    if (await hasDemo()) return false;
    throw error;
  }
}

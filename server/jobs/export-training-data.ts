import "server-only";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { once } from "node:events";
import type { Db } from "../db/client";
import { catalogItems } from "../db/queries/catalog";
import { countInteractionsSince, interactionsPage } from "../db/queries/interactions";
import { listVersions } from "../db/queries/models";
import type { Stage } from "./runner";

/**
 * The first stage of an incremental update: the catalog's interactions and feedback since the
 * serving model version was trained, written in the training pipeline's input format
 * (`interactions.jsonl`: {user, item, at, kind, value}; `items.jsonl`: {id, title}), which
 * `python -m training.data convert` turns into training rows. Feedback is stored as interactions
 * too (like, dislike, save, not_interested, click), so it is included.
 */
const PAGE = 5000;

/** When the serving version was trained (its manifest's `created`), or null to take everything. */
export async function servingVersionTrainedAt(db: Db): Promise<{ name: string; at: Date } | null> {
  const serving = (await listVersions(db)).find((v) => v.status === "serving");
  if (!serving) return null;
  try {
    const manifest = JSON.parse(await readFile(path.join(serving.path, "manifest.json"), "utf8")) as { created?: unknown };
    const created = typeof manifest.created === "string" ? new Date(manifest.created) : null;
    return { name: serving.name, at: created && !Number.isNaN(created.getTime()) ? created : serving.createdAt };
  } catch {
    return { name: serving.name, at: serving.createdAt };
  }
}

async function writeLines(file: string, produce: (write: (line: string) => Promise<void>) => Promise<void>): Promise<void> {
  const out = createWriteStream(file, { encoding: "utf8" });
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, "drain");
  };
  try {
    await produce(write);
  } finally {
    out.end();
    await once(out, "finish");
  }
}

export function exportStage(db: Db, { catalog, since }: { catalog: string; since: Date | null }): Stage {
  return {
    name: "export",
    run: async ({ dir, progress, log }) => {
      const from = since ?? new Date(0);
      const total = await countInteractionsSince(db, { catalog, since: from });
      log(`${total} interactions with ${catalog} since ${since ? since.toISOString() : "the start"}`);
      let written = 0;
      await writeLines(path.join(dir, "interactions.jsonl"), async (write) => {
        let after: { at: Date; id: string } | null = null;
        for (;;) {
          const page = await interactionsPage(db, { catalog, since: from, after, take: PAGE });
          for (const r of page) await write(JSON.stringify({ user: r.user, item: r.item, at: r.at.toISOString(), kind: r.kind, value: r.value }));
          written += page.length;
          await progress(total ? (0.95 * written) / total : 0.95);
          if (page.length < PAGE) break;
          after = { at: page.at(-1)!.at, id: page.at(-1)!.id };
        }
      });
      const items = await catalogItems(db, { catalog });
      await writeLines(path.join(dir, "items.jsonl"), async (write) => {
        for (const item of items) await write(JSON.stringify({ id: item.externalId, title: item.title }));
      });
      log(`wrote ${written} interactions and ${items.length} items`);
      await progress(1);
    },
  };
}

import type { Prisma } from "../db/generated/sqlite/client";
import type { RowProblems } from "./errors";
import type { ItemRow, JsonValue } from "./rows";
import { insertRowsReturning } from "./sql";

const ITEM_COLUMNS = {
  catalog: "text", external_id: "text", title: "text", year: "number", creators: "text", genres: "text",
  metadata: "json", created_at: "timestamp", updated_at: "timestamp",
} as const;

type Tx = Prisma.TransactionClient;

/** Where a row was first seen in this import, for "appears again" errors. */
export interface Origin {
  file: string;
  line: number;
}

export const where = (origin: Origin, file: string) =>
  origin.file === file ? `line ${origin.line}` : `${origin.file}, line ${origin.line}`;

/** JSON with object keys sorted: PostgreSQL's jsonb reorders keys, so compare this form. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: JsonValue) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

const signature = (row: Pick<ItemRow, "title" | "year" | "creators" | "genres" | "metadata">) =>
  canonicalJson([row.title, row.year, row.creators, row.genres, row.metadata]);

export interface ItemCounts {
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  duplicates: number;
}

/**
 * The catalog's items as the import sees them: database id by external id, and for items this
 * import touched or the database holds, what they contain (to tell unchanged from updated).
 */
export class CatalogItems {
  private ids = new Map<string, number>();
  private stored: Map<string, { id: number; signature: string }> | null = null;
  private seen = new Map<string, Origin & { signature: string }>();

  constructor(private readonly catalog: string) {}

  async loadIds(tx: Tx) {
    const items = await tx.item.findMany({ where: { catalog: this.catalog }, select: { id: true, externalId: true } });
    for (const item of items) this.ids.set(item.externalId, item.id);
  }

  id(externalId: string): number | undefined {
    return this.ids.get(externalId);
  }

  /**
   * Writes one items file: new items in batches, changed ones one by one (rare). After a bad row
   * (in `problems`) it only checks the rest.
   */
  async write(tx: Tx, file: string, rows: AsyncIterable<ItemRow>, problems: RowProblems, onBatch: (line: number) => void): Promise<ItemCounts> {
    if (this.stored === null) {
      const items = await tx.item.findMany({ where: { catalog: this.catalog } });
      this.stored = new Map(items.map((item) => [item.externalId, { id: item.id, signature: signature({ ...item, metadata: item.metadata as ItemRow["metadata"] }) }]));
    }
    const counts: ItemCounts = { rows: 0, inserted: 0, updated: 0, unchanged: 0, duplicates: 0 };
    let batch: ItemRow[] = [];
    const flush = async () => {
      if (batch.length === 0 || problems.count > 0) return;
      const now = new Date();
      const created = await insertRowsReturning<{ id: number | bigint; external_id: string }>(
        tx,
        "items",
        ITEM_COLUMNS,
        batch.map((r) => [this.catalog, r.externalId, r.title, r.year, r.creators, r.genres, r.metadata, now, now]),
        "id, external_id",
      );
      for (const item of created) this.ids.set(item.external_id, Number(item.id));
      counts.inserted += created.length;
      onBatch(batch[batch.length - 1]!.line);
      batch = [];
    };

    for await (const row of rows) {
      counts.rows++;
      const sig = signature(row);
      const first = this.seen.get(row.externalId);
      if (first) {
        // An exact repeat is the same item twice: skip it. A different one is ambiguous: refuse.
        if (first.signature === sig) {
          counts.duplicates++;
          continue;
        }
        problems.add(row.line, `item id "${row.externalId}" appears again with different values (first at ${where(first, file)})`);
        continue;
      }
      this.seen.set(row.externalId, { file, line: row.line, signature: sig });
      const stored = this.stored.get(row.externalId);
      if (stored === undefined) {
        batch.push(row);
        if (batch.length === 1000) await flush();
      } else if (stored.signature === sig) {
        counts.unchanged++;
      } else if (problems.count === 0) {
        const { line: _line, ...fields } = row;
        await tx.item.update({ where: { id: stored.id }, data: fields });
        counts.updated++;
      }
    }
    await flush();
    return counts;
  }
}

import { randomUUID } from "node:crypto";
import type { Prisma } from "../db/generated/sqlite/client";
import type { InteractionKind } from "../db/generated/sqlite/enums";
import type { RowProblems } from "./errors";
import { type CatalogItems, type Origin, where } from "./items";
import type { InteractionRow } from "./rows";
import { insertRows } from "./sql";

type Tx = Prisma.TransactionClient;

export interface InteractionCounts {
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  duplicates: number;
  users: number;
}

// Rows validated before each write: large enough to amortise a round trip (sql.ts splits a
// batch further if it would pass a database's parameter limit).
const BATCH = 4000;

// The Interaction unique key (userId, itemId, kind, at) as one string.
const keyOf = (userId: string, itemId: number, kind: string, at: Date) => `${userId}\u0000${itemId}\u0000${kind}\u0000${at.getTime()}`;

/**
 * Writes interaction files. Users are created on first sight as "<catalog>:<id>". A row whose key
 * is already stored is unchanged (or updated, when its rating differs); an exact repeat inside the
 * import is skipped as a duplicate; a repeat with a different rating is refused. Only users that
 * existed before the import can have stored rows, so only their rows are loaded to compare.
 */
export class InteractionWriter {
  private users = new Map<string, string>();
  private preexisting = new Set<string>();
  private loaded = new Set<string>();
  private stored = new Map<string, { id: string; value: number | null }>();
  private seen = new Map<string, Origin & { value: number | null }>();

  constructor(
    private readonly catalog: string,
    private readonly items: CatalogItems,
    private readonly source: (file: string) => string,
  ) {}

  async loadUsers(tx: Tx) {
    const users = await tx.user.findMany({ where: { externalId: { startsWith: `${this.catalog}:` } }, select: { id: true, externalId: true } });
    for (const user of users) {
      this.users.set(user.externalId!, user.id);
      this.preexisting.add(user.id);
    }
  }

  /** Writes one interactions file in batches. After a bad row (in `problems`) it only checks the rest. */
  async write(tx: Tx, file: string, rows: AsyncIterable<InteractionRow>, problems: RowProblems, onBatch: (line: number) => void): Promise<InteractionCounts> {
    const counts: InteractionCounts = { rows: 0, inserted: 0, updated: 0, unchanged: 0, duplicates: 0, users: 0 };
    let batch: InteractionRow[] = [];
    const flush = async () => {
      if (batch.length > 0) await this.writeBatch(tx, file, batch, counts, problems);
      if (batch.length > 0) onBatch(batch[batch.length - 1]!.line);
      batch = [];
    };
    for await (const row of rows) {
      counts.rows++;
      batch.push(row);
      if (batch.length === BATCH) await flush();
    }
    await flush();
    return counts;
  }

  private async writeBatch(tx: Tx, file: string, batch: InteractionRow[], counts: InteractionCounts, problems: RowProblems) {
    // 1. Items must exist; users are created.
    const itemIds = batch.map((row) => {
      const id = this.items.id(row.item);
      if (id === undefined) {
        problems.add(row.line, `unknown item "${row.item}" (not in catalog "${this.catalog}"; import its items file first or in the same command)`);
      }
      return id;
    });
    // Once the file has a bad row nothing more is written; later rows are checked for their
    // format and their items only (repeats need the users this import would have created).
    if (problems.count > 0) return;
    const newUsers = [...new Set(batch.map((row) => `${this.catalog}:${row.user}`).filter((externalId) => !this.users.has(externalId)))];
    if (newUsers.length > 0) {
      const now = new Date();
      const rows = newUsers.map((externalId) => [randomUUID(), externalId, now, now]);
      counts.users += await insertRows(tx, "users", { id: "text", external_id: "text", created_at: "timestamp", updated_at: "timestamp" }, rows);
      for (const [id, externalId] of rows) this.users.set(externalId as string, id as string);
    }
    const userIds = batch.map((row) => this.users.get(`${this.catalog}:${row.user}`)!);
    await this.loadStored(tx, userIds);

    // 2. Sort each row into new / unchanged / updated / duplicate.
    const data: NewInteraction[] = [];
    for (const [i, row] of batch.entries()) {
      const userId = userIds[i]!;
      const itemId = itemIds[i]!;
      const key = keyOf(userId, itemId, row.kind, row.at);
      const first = this.seen.get(key);
      if (first) {
        if (first.value === row.value) {
          counts.duplicates++;
          continue;
        }
        problems.add(row.line, `user "${row.user}" has a second ${row.kind} of item "${row.item}" at ${row.at.toISOString()} with a different value (${row.value} here, ${first.value} at ${where(first, file)})`);
        continue;
      }
      this.seen.set(key, { file, line: row.line, value: row.value });
      const stored = this.stored.get(key);
      if (stored === undefined) {
        data.push({ userId, itemId, kind: row.kind, value: row.value, at: row.at, source: this.source(file) });
      } else if (stored.value === row.value) {
        counts.unchanged++;
      } else {
        await tx.interaction.update({ where: { id: stored.id }, data: { value: row.value, source: this.source(file) } });
        counts.updated++;
      }
    }
    if (data.length > 0 && problems.count === 0) counts.inserted += await insertInteractions(tx, data);
  }

  /** Loads the stored interactions of users that existed before this import, once per user. */
  private async loadStored(tx: Tx, userIds: string[]) {
    const toLoad = [...new Set(userIds)].filter((id) => this.preexisting.has(id) && !this.loaded.has(id));
    for (let start = 0; start < toLoad.length; start += 500) {
      const chunk = toLoad.slice(start, start + 500);
      const rows = await tx.interaction.findMany({
        where: { userId: { in: chunk } },
        select: { id: true, userId: true, itemId: true, kind: true, at: true, value: true },
      });
      for (const row of rows) this.stored.set(keyOf(row.userId, row.itemId, row.kind, row.at), { id: row.id, value: row.value });
      for (const id of chunk) this.loaded.add(id);
    }
  }
}

interface NewInteraction {
  userId: string;
  itemId: number;
  kind: InteractionKind;
  value: number | null;
  at: Date;
  source: string;
}

const INTERACTION_COLUMNS = {
  id: "text", user_id: "text", item_id: "number", kind: { enum: "InteractionKind" }, value: "number", at: "timestamp", source: "text",
} as const;

function insertInteractions(tx: Tx, rows: NewInteraction[]): Promise<number> {
  return insertRows(tx, "interactions", INTERACTION_COLUMNS, rows.map((r) => [randomUUID(), r.userId, r.itemId, r.kind, r.value, r.at, r.source]));
}

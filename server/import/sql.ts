import type { Prisma } from "../db/generated/sqlite/client";

type Tx = Prisma.TransactionClient;

/**
 * Multi-row INSERTs for the importer's bulk writes. Prisma's createMany costs ~250 µs a row here
 * (it plans the query row by row); one INSERT with many VALUES costs ~25 µs, which is what makes
 * 100k interactions import in seconds. Because it bypasses the client, it writes what the client
 * would: ids it generates itself (random UUIDs: the schema's cuid() default only runs for rows the
 * client creates; ids are opaque strings), updated_at set, and values in the form each database's
 * Prisma adapter uses — on SQLite DateTime as text "2017-01-01T00:00:00.000+00:00" and JSON as
 * text; on PostgreSQL timestamp(3) in UTC, jsonb and the enum types. tests/import read rows
 * written here back through Prisma.
 */
export type ColumnType = "text" | "number" | "timestamp" | "json" | { enum: string };
export type Value = string | number | null | Date | object;

// SQLite allows 32,766 bound parameters per statement, PostgreSQL 65,535.
const MAX_PARAMS = 30_000;

export async function insertRows(
  tx: Tx,
  table: string,
  columns: Record<string, ColumnType>,
  rows: Value[][],
): Promise<number> {
  let inserted = 0;
  for (const { sql, params } of statements(tx, table, columns, rows, "")) inserted += await tx.$executeRawUnsafe(sql, ...params);
  return inserted;
}

/** insertRows with `RETURNING <returning>`: the rows as the database assigned them (serial ids). */
export async function insertRowsReturning<Row>(
  tx: Tx,
  table: string,
  columns: Record<string, ColumnType>,
  rows: Value[][],
  returning: string,
): Promise<Row[]> {
  const out: Row[] = [];
  for (const { sql, params } of statements(tx, table, columns, rows, ` RETURNING ${returning}`)) {
    out.push(...(await tx.$queryRawUnsafe<Row[]>(sql, ...params)));
  }
  return out;
}

function* statements(tx: Tx, table: string, columns: Record<string, ColumnType>, rows: Value[][], suffix: string) {
  const postgres = provider(tx) === "postgresql";
  const types = Object.values(columns);
  const perStatement = Math.floor(MAX_PARAMS / types.length);
  for (let start = 0; start < rows.length; start += perStatement) {
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const row of rows.slice(start, start + perStatement)) {
      const slots = types.map((type, i) => {
        params.push(encode(row[i] ?? null, type, postgres));
        return postgres ? `$${params.length}${cast(type)}` : "?";
      });
      tuples.push(`(${slots.join(", ")})`);
    }
    const names = Object.keys(columns).map((name) => `"${name}"`).join(", ");
    yield { sql: `INSERT INTO "${table}" (${names}) VALUES ${tuples.join(", ")}${suffix}`, params };
  }
}

function encode(value: Value, type: ColumnType, postgres: boolean): unknown {
  if (value === null) return null;
  if (type === "timestamp") {
    const iso = (value as Date).toISOString();
    return postgres ? iso : iso.replace("Z", "+00:00");
  }
  if (type === "json") return JSON.stringify(value);
  return value;
}

function cast(type: ColumnType): string {
  if (type === "timestamp") return "::timestamp(3)";
  if (type === "json") return "::jsonb";
  if (typeof type === "object") return `::"${type.enum}"`;
  return "";
}

/** "sqlite" or "postgresql". The client keeps its provider in a field its own typings declare. */
function provider(tx: Tx): string {
  return (tx as unknown as { _activeProvider: string })._activeProvider;
}

import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  mockMigrationAwareAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import type { SchemaEngine } from "@prisma/schema-engine-wasm";
import pg from "pg";
import { databaseKind } from "./env";

/**
 * Prisma's schema engine (the part behind `prisma migrate`) as WebAssembly, driving the database
 * through the same driver adapters the app uses. The CLI's migrate commands need a native engine
 * that it downloads, so they fail offline; this one ships in @prisma/schema-engine-wasm.
 *
 * The package's entry point imports the .wasm file as an ES module, which Node and bundlers do not
 * all support, so it is instantiated by hand from its wasm-bindgen glue (schema_engine_bg.js).
 */
export type { SchemaEngine };

let engineModule: Promise<typeof import("@prisma/schema-engine-wasm")> | undefined;

async function loadEngineModule() {
  const require = createRequire(import.meta.url);
  const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const glue = await import("@prisma/schema-engine-wasm/schema_engine_bg");
  const bytes = await readFile(path.join(path.dirname(gluePath), "schema_engine_bg.wasm"));
  const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": glue });
  const exports = instance.exports as WebAssembly.Exports & { __wbindgen_start(): void };
  // The glue keeps the instance in module state: one instance per process, shared by engines.
  (glue as unknown as { __wbg_set_wasm(wasm: unknown): void }).__wbg_set_wasm(exports);
  exports.__wbindgen_start();
  return glue as unknown as typeof import("@prisma/schema-engine-wasm");
}

/**
 * PostgreSQL's catalog has columns of the internal one-byte type `"char"` (OID 18, e.g.
 * pg_class.relkind), which the schema engine reads while describing a database. @prisma/adapter-pg
 * has no mapping for OID 18 and fails the whole query with UnsupportedNativeDataType; its value
 * arrives as a one-character string, so reporting the column as text (OID 25) is exact.
 */
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

function charColumnsAsText<T>(result: T): T {
  for (const one of Array.isArray(result) ? result : [result]) {
    const fields = (one as { fields?: { dataTypeID: number }[] } | undefined)?.fields;
    for (const field of fields ?? []) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
  }
  return result;
}

class CharAsTextClient extends pg.Client {
  // pg.Client#query has callback, promise and submittable forms; pg-pool uses the callback one.
  override query(...args: unknown[]): never {
    const callbackAt = args.findIndex((arg) => typeof arg === "function");
    if (callbackAt >= 0) {
      const callback = args[callbackAt] as (err: unknown, result: unknown) => void;
      args[callbackAt] = (err: unknown, result: unknown) => callback(err, err ? result : charColumnsAsText(result));
    }
    const returned = (super.query as (...a: unknown[]) => unknown)(...args);
    if (callbackAt < 0 && returned instanceof Promise) return returned.then(charColumnsAsText) as never;
    return returned as never;
  }
}

type AdapterFactory = PrismaBetterSqlite3 | PrismaPg;
type Adapter = Awaited<ReturnType<AdapterFactory["connect"]>>;

/**
 * The driver adapter factory for a database URL, wrapped the way the schema engine expects, and a
 * `close` that releases every connection it opened (the engine does not, and an open pg pool keeps
 * the process alive).
 */
export function migrationAdapterFactory(url: string) {
  const opened: Adapter[] = [];
  let pool: pg.Pool | undefined;
  let factory: AdapterFactory;
  if (databaseKind(url) === "sqlite") {
    factory = new PrismaBetterSqlite3({ url });
  } else {
    pool = new pg.Pool({ connectionString: url, Client: CharAsTextClient, max: 2 });
    factory = new PrismaPg(pool);
  }
  const track = async (connecting: Promise<Adapter>, shadow = false) => {
    const adapter = await connecting;
    opened.push(adapter);
    if (shadow && adapter.provider === "sqlite") {
      // The engine replays each migration into the shadow database with executeRaw, and
      // better-sqlite3 prepares one statement at a time ("contains more than one statement").
      // Statements without parameters are what it sends there; run them as a script.
      const executeRaw = adapter.executeRaw.bind(adapter);
      adapter.executeRaw = async (query) => {
        if (query.args.length > 0) return executeRaw(query);
        await adapter.executeScript(query.sql);
        return 0;
      };
    }
    if (adapter.provider === "postgres") {
      // adapter-pg runs a script by splitting it at every ";" and sending the pieces one by one,
      // so a failing migration is left half applied (and a ";" inside a string breaks it). Sent
      // whole, as one simple-protocol query, PostgreSQL runs it as a single implicit
      // transaction: all or nothing, as Prisma's native engine does.
      adapter.executeScript = async (script: string) => {
        await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
      };
    }
    return adapter;
  };
  const unbound: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => track(factory.connect()),
    connectToShadowDb: () => {
      // adapter-pg builds its shadow pool as { ...config, database }, but pg lets a
      // connectionString override `database`, so the "shadow" would be the real database. No
      // command here needs a PostgreSQL shadow database (see create-migration.ts); refuse it.
      if (factory instanceof PrismaPg) {
        return Promise.reject(new Error("A PostgreSQL shadow database is not supported here; diff datamodels instead"));
      }
      return track(factory.connectToShadowDb(), true);
    },
  };
  return {
    factory: bindMigrationAwareSqlAdapterFactory(unbound),
    async close() {
      for (const adapter of opened.splice(0)) await adapter.dispose().catch(() => {});
      await pool?.end();
      pool = undefined;
    },
  };
}

/**
 * An adapter for engine work that needs no PostgreSQL server: a diff between two datamodels.
 * The engine still runs one query when it starts (does the schema exist, which server version);
 * this answers it as an empty PostgreSQL 15 (the version the project tests against) would, and
 * rejects every other query, so a diff that unexpectedly needed a database fails loudly.
 */
function serverlessPostgresFactory() {
  const placeholder = mockMigrationAwareAdapterFactory("postgres");
  const answerStartupQuery = (adapter: Adapter) => {
    const queryRaw = adapter.queryRaw.bind(adapter);
    adapter.queryRaw = async (query) => {
      if (query.sql.includes("current_setting('server_version_num')")) {
        return {
          columnNames: ["exists", "version", "numeric_version"],
          columnTypes: [ColumnTypeEnum.Boolean, ColumnTypeEnum.Text, ColumnTypeEnum.Int32],
          rows: [[true, "PostgreSQL 15.0 (no server: datamodel diff)", 150000]],
        };
      }
      return queryRaw(query).catch(() => {
        throw new Error(`A datamodel diff sent a query although it needs no database: ${query.sql}`);
      });
    };
    return adapter;
  };
  return bindMigrationAwareSqlAdapterFactory({
    ...placeholder,
    connect: async () => answerStartupQuery((await placeholder.connect()) as Adapter),
    connectToShadowDb: async () => answerStartupQuery((await placeholder.connectToShadowDb()) as Adapter),
  });
}

/** Stands in for a URL where a PostgreSQL engine needs no server (a diff between two datamodels). */
export const POSTGRES_WITHOUT_SERVER = Symbol("PostgreSQL without a server");

export interface EngineOptions {
  /** Database URL the engine connects to (SQLite file: URL or postgres:// URL). */
  url: string | typeof POSTGRES_WITHOUT_SERVER;
  /** The Prisma schema file the engine starts from (path as shown in its messages, and its text). */
  schema: { path: string; content: string };
  /** Receives the engine's log lines (JSON). */
  onLog?: (line: string) => void;
}

export interface OpenEngine {
  engine: SchemaEngine;
  /** Frees the engine and closes its database connections. */
  close(): Promise<void>;
}

/** Starts a schema engine connected to `url`. Always `close()` it (try/finally). */
export async function startSchemaEngine({ url, schema, onLog }: EngineOptions): Promise<OpenEngine> {
  engineModule ??= loadEngineModule();
  const { SchemaEngine } = await engineModule;
  const adapters =
    url === POSTGRES_WITHOUT_SERVER
      ? { factory: serverlessPostgresFactory(), close: async () => {} }
      : migrationAdapterFactory(url);
  let engine: SchemaEngine;
  try {
    engine = await SchemaEngine.new(
      { datamodels: [[schema.path, schema.content]] },
      (line: string) => onLog?.(line),
      adapters.factory,
    );
  } catch (error) {
    await adapters.close();
    throw engineError("Could not start the Prisma schema engine", error);
  }
  return {
    engine,
    async close() {
      engine.free();
      await adapters.close();
    },
  };
}

/** The engine rejects with plain objects or strings as well as Errors; give callers an Error. */
export function engineError(context: string, cause: unknown): Error {
  const detail =
    cause instanceof Error
      ? cause.message
      : typeof cause === "object" && cause !== null && "message" in cause
        ? String((cause as { message: unknown }).message)
        : typeof cause === "string"
          ? cause
          : JSON.stringify(cause);
  // Engine messages end with a span trace ("   0: sql_schema_connector::…") that helps nobody.
  const message = detail.split(/\n\s+0: /)[0]!.trim();
  return new Error(`${context}: ${message}`, { cause });
}

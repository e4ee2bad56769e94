import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DatabaseKind } from "./env";

/**
 * Where each provider's schema and migrations live. prisma/schema.prisma (SQLite) is the single
 * source of the data model; prisma/postgres/schema.prisma is derived from it by
 * `derivePostgresSchema` (provider and client output swapped), never edited by hand.
 */
export const repoRoot = path.resolve(import.meta.dirname, "../..");

export interface ProviderPaths {
  schema: string;
  migrations: string;
}

export interface PrismaLayout extends Record<DatabaseKind, ProviderPaths> {
  /** The PostgreSQL schema as of the newest PostgreSQL migration (see create-migration.ts). */
  postgresSnapshot: string;
}

/** The layout under a repository root (another root: tests work on a copy of prisma/). */
export function prismaLayout(root = repoRoot): PrismaLayout {
  return {
    sqlite: { schema: path.join(root, "prisma/schema.prisma"), migrations: path.join(root, "prisma/migrations") },
    postgresql: {
      schema: path.join(root, "prisma/postgres/schema.prisma"),
      migrations: path.join(root, "prisma/postgres/migrations"),
    },
    postgresSnapshot: path.join(root, "prisma/postgres/last-migrated.prisma"),
  };
}

export const GENERATED_HEADER =
  "// GENERATED from prisma/schema.prisma by `npm run db:generate` — do not edit; edit the source.\n";

/** The PostgreSQL twin of the SQLite schema text. Throws when the source no longer has the expected shape. */
export function derivePostgresSchema(source: string): string {
  const replacements: [RegExp, string][] = [
    [/(datasource\s+db\s*\{[^}]*provider\s*=\s*)"sqlite"/, '$1"postgresql"'],
    [/(generator\s+client\s*\{[^}]*output\s*=\s*)"\.\.\/server\/db\/generated\/sqlite"/, '$1"../../server/db/generated/postgres"'],
  ];
  let derived = source;
  for (const [pattern, replacement] of replacements) {
    if (!pattern.test(derived)) {
      throw new Error(
        `prisma/schema.prisma: expected ${pattern.source} (datasource provider "sqlite" and client output ` +
          `"../server/db/generated/sqlite") — cannot derive prisma/postgres/schema.prisma`,
      );
    }
    derived = derived.replace(pattern, replacement);
  }
  return GENERATED_HEADER + derived;
}

/** Rewrites prisma/postgres/schema.prisma from the source; returns true when its content changed. */
export async function syncPostgresSchema(layout = prismaLayout()): Promise<boolean> {
  const source = await readFile(layout.sqlite.schema, "utf8");
  const derived = derivePostgresSchema(source);
  const current = await readFile(layout.postgresql.schema, "utf8").catch(() => null);
  if (current === derived) return false;
  await writeFile(layout.postgresql.schema, derived);
  return true;
}

import { spawnSync } from "node:child_process";
import path from "node:path";
import { prismaLayout, repoRoot, syncPostgresSchema } from "./schemas";

/**
 * Derives prisma/postgres/schema.prisma from prisma/schema.prisma, then runs the real
 * `prisma generate` for both, giving server/db/generated/{sqlite,postgres}.
 *
 * `prisma generate` only checks that a schema-engine binary path exists (it never runs it), so
 * pointing PRISMA_SCHEMA_ENGINE_BINARY at the Node executable keeps it from downloading one.
 */
export async function generateClients(): Promise<void> {
  const layout = prismaLayout();
  if (await syncPostgresSchema(layout)) console.log("prisma/postgres/schema.prisma updated from prisma/schema.prisma");

  const prismaCli = path.join(repoRoot, "node_modules/prisma/build/index.js");
  for (const schema of [layout.sqlite.schema, layout.postgresql.schema]) {
    const result = spawnSync(process.execPath, [prismaCli, "generate", "--schema", schema], {
      cwd: repoRoot,
      stdio: "inherit",
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
      },
    });
    if (result.status !== 0) throw new Error(`prisma generate failed for ${path.relative(repoRoot, schema)}`);
  }
}

import { defineConfig } from "prisma/config";

// The Prisma CLI is only used for `prisma generate` (offline-safe, run by `npm run db:generate`);
// its migrate commands need a native engine that is downloaded, so migrations go through the
// WebAssembly schema engine in server/db/ instead (`npm run db:migrate`, `npm run db:deploy`).
// See docs/DATABASE.md.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "file:./data/reco.db" },
});

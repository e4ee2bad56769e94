import { defineConfig } from "prisma/config";

// The CLI is only used for `prisma generate` (offline-safe); migrations go through
// scripts/db (the WebAssembly schema engine), see docs/ARCHITECTURE.md.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "file:./data/reco.db" },
});

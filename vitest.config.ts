import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // tsconfig.json's "@/*" → repo root.
  // server-only throws unless resolved under React's "react-server" condition, as Next.js does for
  // server code; tests are server code.
  resolve: {
    alias: [
      { find: /^@\//, replacement: `${path.resolve(import.meta.dirname)}/` },
      { find: /^server-only$/, replacement: path.resolve(import.meta.dirname, "node_modules/server-only/empty.js") },
    ],
  },
  test: {
    include: ["tests/**/*.test.ts"],
    // A real PostgreSQL server and migrated template databases for the run; see tests/setup/.
    globalSetup: ["tests/setup/global-setup.ts"],
    // Database tests migrate and clone real databases; the default 5 s is tight on 2 shared cores.
    testTimeout: 30_000,
    // No language model unless a test names one (a built models/demo would otherwise serve every turn).
    // fp32 unless a test names a precision: its logits are PyTorch's within 1e-3 (the app's default, auto, serves the fused graphs).
    env: { RECO_MODEL_DIR: "off", RECO_PRECISION: "fp32" },
    hookTimeout: 60_000,
  },
});

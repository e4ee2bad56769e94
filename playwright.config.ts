import { defineConfig } from "@playwright/test";

// End-to-end tests run the production build (`npm run build` first) against a fresh SQLite
// database, in Debian's Chromium (Playwright's own browser download is not available offline).
const port = Number(process.env.E2E_PORT ?? 3210);
export const e2eDatabaseFile = "data/e2e.db";
// The first server's RECO_ADMIN_EMAIL: the account that signs up with it is an admin (tests/e2e/roles.spec.ts).
export const e2eAdminEmail = "admin@e2e.test";
// A second server with a language model serving: the tiny random-weight test model (its words are
// noise; the streaming of explanations into cards is what its test checks).
export const modelPort = port + 1;
const modelDatabaseFile = "data/e2e-model.db";
// A third with the shipped demo model (models/demo, which tests/prepare.sh builds).
export const demoPort = port + 2;
export const demoDatabaseFile = "data/e2e-demo.db";
const server = (listen: number, database: string, env: Record<string, string> = {}) => ({
  command: `rm -f ${database} ${database}-* && npm start -- -p ${listen} -H 127.0.0.1`,
  url: `http://127.0.0.1:${listen}/`,
  env: { DATABASE_URL: `file:./${database}`, ...env },
  reuseExistingServer: false,
  timeout: 300_000,
  stdout: "ignore" as const,
});

export default defineConfig({
  testDir: "tests/e2e",
  timeout: 90_000,
  expect: { timeout: 30_000 },
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: "chromium",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    screenshot: "only-on-failure",
    trace: "off",
  },
  webServer: [
    // Its incremental updates (tests/e2e/insights.spec.ts) write their candidates under data/, not models/.
    server(port, e2eDatabaseFile, { RECO_MODEL_DIR: "off", RECO_ADMIN_EMAIL: e2eAdminEmail, RECO_MODELS_DIR: "data/e2e-models" }),
    server(modelPort, modelDatabaseFile, { RECO_MODEL_DIR: "tests/fixtures/tiny-model" }),
    server(demoPort, demoDatabaseFile, { RECO_MODEL_DIR: "models/demo" }),
  ],
});

/** What tests/setup/global-setup.ts hands to every test file (vitest `provide` / `inject`). */
export interface TestDatabasesContext {
  /** Temp folder for this run's SQLite files; removed at the end. */
  runDir: string;
  /** A SQLite file with every migration applied, copied for each test database. */
  sqliteTemplate: string;
  /** Maintenance URL of the PostgreSQL server, or null when none could be had (see postgresMissing). */
  postgresUrl: string | null;
  /** Name of the migrated PostgreSQL template database (CREATE DATABASE … TEMPLATE). */
  postgresTemplate: string | null;
  /** Why there is no PostgreSQL server, when there is none. */
  postgresMissing: string | null;
}

declare module "vitest" {
  export interface ProvidedContext {
    recoTestDatabases: TestDatabasesContext;
  }
}

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_update_jobs" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "catalog" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL DEFAULT 'queued',
    "stage" TEXT NOT NULL DEFAULT '',
    "progress" REAL NOT NULL DEFAULT 0,
    "log" TEXT NOT NULL DEFAULT '',
    "error" TEXT,
    "cancel_requested" BOOLEAN NOT NULL DEFAULT false,
    "output_path" TEXT,
    "created_by_id" TEXT,
    "model_version_id" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" DATETIME,
    "finished_at" DATETIME,
    CONSTRAINT "update_jobs_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_versions" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "update_jobs_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_update_jobs" ("created_at", "finished_at", "id", "log", "model_version_id", "progress", "started_at", "status") SELECT "created_at", "finished_at", "id", "log", "model_version_id", "progress", "started_at", "status" FROM "update_jobs";
DROP TABLE "update_jobs";
ALTER TABLE "new_update_jobs" RENAME TO "update_jobs";
CREATE INDEX "update_jobs_status_created_at_idx" ON "update_jobs"("status", "created_at");
CREATE INDEX "update_jobs_catalog_status_idx" ON "update_jobs"("catalog", "status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

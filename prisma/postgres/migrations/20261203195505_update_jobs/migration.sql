-- AlterTable
ALTER TABLE "update_jobs" ADD COLUMN     "cancel_requested" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "catalog" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "created_by_id" TEXT,
ADD COLUMN     "error" TEXT,
ADD COLUMN     "output_path" TEXT,
ADD COLUMN     "stage" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateIndex
CREATE INDEX "update_jobs_catalog_status_idx" ON "update_jobs"("catalog", "status");

-- AddForeignKey
ALTER TABLE "update_jobs" ADD CONSTRAINT "update_jobs_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

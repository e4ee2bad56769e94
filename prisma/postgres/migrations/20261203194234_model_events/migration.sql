-- CreateEnum
CREATE TYPE "ModelEventKind" AS ENUM ('promote', 'rollback');

-- CreateTable
CREATE TABLE "model_events" (
    "id" TEXT NOT NULL,
    "kind" "ModelEventKind" NOT NULL,
    "version_id" TEXT NOT NULL,
    "from_id" TEXT,
    "actor_id" TEXT,
    "override" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "model_events_created_at_idx" ON "model_events"("created_at");

-- AddForeignKey
ALTER TABLE "model_events" ADD CONSTRAINT "model_events_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_events" ADD CONSTRAINT "model_events_from_id_fkey" FOREIGN KEY ("from_id") REFERENCES "model_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_events" ADD CONSTRAINT "model_events_actor_id_fkey" FOREIGN KEY ("actor_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

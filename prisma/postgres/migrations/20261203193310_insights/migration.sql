-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "first_card_ms" INTEGER;

-- CreateIndex
CREATE INDEX "recommendations_created_at_idx" ON "recommendations"("created_at");

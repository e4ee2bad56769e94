-- AlterTable
ALTER TABLE "messages" ADD COLUMN "first_card_ms" INTEGER;

-- CreateTable
CREATE TABLE "daily_metrics" (
    "day" TEXT NOT NULL,
    "model_version" TEXT NOT NULL,
    "cards" INTEGER NOT NULL,
    "users" INTEGER NOT NULL,
    "positive_rate_sum" REAL NOT NULL,
    "thumbs_up" INTEGER NOT NULL,
    "thumbs_down" INTEGER NOT NULL,
    "saves" INTEGER NOT NULL,
    "clicks" INTEGER NOT NULL,
    "not_interested" INTEGER NOT NULL,
    "distinct_items" INTEGER NOT NULL,
    "latency_histogram" JSONB NOT NULL,
    "computed_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("day", "model_version")
);

-- CreateIndex
CREATE INDEX "recommendations_created_at_idx" ON "recommendations"("created_at");

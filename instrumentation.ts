/**
 * Next.js calls register() once when a server instance starts:
 * - answers a previous server left half-written are marked failed before the first request
 *   (server/conversations/recovery.ts), and so are jobs whose runner died (server/jobs/runner.ts);
 * - in the background, the insights rollup is brought up to date for the past year, so that the
 *   product team's first view of /insights after a deploy is a warm one (server/insights/rollup.ts).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const [{ getDb }, { databaseKind, databaseUrl }, { startAnswerRecovery }, { startJobRecovery }, { warmRollup }] = await Promise.all([
    import("./server/db/client"),
    import("./server/db/env"),
    import("./server/conversations/recovery"),
    import("./server/jobs/runner"),
    import("./server/insights/rollup"),
  ]);
  const db = await getDb();
  await startAnswerRecovery(db, databaseKind(databaseUrl()));
  await startJobRecovery(db);
  warmRollup(db).catch((error: unknown) => console.error("insights rollup failed", error));
}

/**
 * Next.js calls register() once when a server instance starts: answers a previous server left
 * half-written are marked failed before the first request (server/conversations/recovery.ts).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const [{ getDb }, { databaseKind, databaseUrl }, { startAnswerRecovery }] = await Promise.all([
    import("./server/db/client"),
    import("./server/db/env"),
    import("./server/conversations/recovery"),
  ]);
  await startAnswerRecovery(await getDb(), databaseKind(databaseUrl()));
}

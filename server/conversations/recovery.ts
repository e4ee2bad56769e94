import type { Db } from "../db/client";
import type { DatabaseKind } from "../db/env";
import { failAbandonedMessages } from "../db/queries/conversations";

/**
 * Crash recovery for answers. A turn stores its answer as `streaming` and touches it every
 * HEARTBEAT_MS while it runs; if the server is killed mid-answer the row stays `streaming`.
 *
 * - SQLite is the embedded, single-server database: when the server starts, no other server can be
 *   writing an answer, so every `streaming` row is abandoned and is marked failed at once.
 * - PostgreSQL may serve several app instances: a row is abandoned only when no instance has
 *   touched it for STALE_MS, checked at start and then every SWEEP_MS.
 */
export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 30_000;
const SWEEP_MS = 15_000;

export async function recoverAbandonedAnswers(db: Db, { kind, now = new Date() }: { kind: DatabaseKind; now?: Date }): Promise<number> {
  const staleBefore = kind === "sqlite" ? new Date(now.getTime() + 1) : new Date(now.getTime() - STALE_MS);
  return failAbandonedMessages(db, { staleBefore });
}

/** Runs the recovery at server start, then (PostgreSQL) on a timer that does not keep the process alive. */
export async function startAnswerRecovery(db: Db, kind: DatabaseKind): Promise<void> {
  const report = (count: number) => {
    if (count > 0) console.warn(`Marked ${count} interrupted answer${count === 1 ? "" : "s"} as failed (the server stopped while answering).`);
  };
  report(await recoverAbandonedAnswers(db, { kind }));
  if (kind === "postgresql") {
    const sweep = () => recoverAbandonedAnswers(db, { kind }).then(report, (error: unknown) => console.error("answer recovery failed", error));
    setInterval(sweep, SWEEP_MS).unref();
  }
}

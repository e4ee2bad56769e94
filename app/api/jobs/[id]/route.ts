import { authorize } from "@/server/auth/session";
import { errorResponse } from "@/server/http/errors";
import { jobStatus } from "@/server/jobs/jobs";

export const dynamic = "force-dynamic";

/** A job's state, polled by the /insights page while it runs (product team and admins). */
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const actor = await authorize("models.update");
    const { id } = await params;
    const job = await jobStatus(actor.db, { id: id.slice(0, 64) });
    const { status, stage, progress, error, log, outputPath, version, startedAt, finishedAt } = job;
    return Response.json({ id: job.id, status, stage, progress, error, log, outputPath, version, startedAt, finishedAt });
  } catch (error) {
    return errorResponse(error);
  }
}

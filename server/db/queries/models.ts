import "server-only";
import type { Db } from "../client";

/** The folder of the model version marked serving (the most recently promoted), or null. */
export async function servingVersionPath(db: Db): Promise<string | null> {
  const serving = await db.modelVersion.findFirst({ where: { status: "serving" }, orderBy: { promotedAt: "desc" }, select: { path: true } });
  return serving?.path ?? null;
}

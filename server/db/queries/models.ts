import "server-only";
import type { Db } from "../client";

/** The folder of the model version marked serving (the most recently promoted), or null. */
export async function servingVersionPath(db: Db): Promise<string | null> {
  const serving = await db.modelVersion.findFirst({ where: { status: "serving" }, orderBy: { promotedAt: "desc" }, select: { path: true } });
  return serving?.path ?? null;
}

export type VersionRow = {
  id: string;
  name: string;
  path: string;
  status: "candidate" | "serving" | "retired";
  hr1: number | null;
  hr1Source: string | null;
  parent: string | null;
  createdAt: Date;
  promotedAt: Date | null;
};

function toRow(r: { id: string; name: string; path: string; status: VersionRow["status"]; metrics: unknown; createdAt: Date; promotedAt: Date | null; parent: { name: string } | null }): VersionRow {
  const metrics = (r.metrics ?? {}) as { hr1?: unknown; hr1Source?: unknown };
  return {
    id: r.id,
    name: r.name,
    path: r.path,
    status: r.status,
    hr1: typeof metrics.hr1 === "number" ? metrics.hr1 : null,
    hr1Source: typeof metrics.hr1Source === "string" ? metrics.hr1Source : null,
    parent: r.parent?.name ?? null,
    createdAt: r.createdAt,
    promotedAt: r.promotedAt,
  };
}

const versionFields = { id: true, name: true, path: true, status: true, metrics: true, createdAt: true, promotedAt: true, parent: { select: { name: true } } } as const;

export async function listVersions(db: Db): Promise<VersionRow[]> {
  return (await db.modelVersion.findMany({ orderBy: { createdAt: "desc" }, select: versionFields })).map(toRow);
}

export async function findVersion(db: Db, { name }: { name: string }): Promise<VersionRow | null> {
  const row = await db.modelVersion.findUnique({ where: { name }, select: versionFields });
  return row ? toRow(row) : null;
}

export async function createVersion(
  db: Db,
  { name, path, metrics, parentName }: { name: string; path: string; metrics: Record<string, unknown>; parentName: string | null },
): Promise<VersionRow> {
  const parent = parentName ? await db.modelVersion.findUnique({ where: { name: parentName }, select: { id: true } }) : null;
  const row = await db.modelVersion.create({ data: { name, path, metrics: metrics as object, parentId: parent?.id ?? null }, select: versionFields });
  return toRow(row);
}

/**
 * Makes `versionId` the one serving version, retiring the one before, and records the event — in
 * one transaction, so that every app instance sees exactly one serving version.
 */
export async function switchServing(
  db: Db,
  { versionId, kind, actorId, override }: { versionId: string; kind: "promote" | "rollback"; actorId: string | null; override: string | null },
): Promise<void> {
  await db.$transaction(async (tx) => {
    const before = await tx.modelVersion.findMany({ where: { status: "serving", id: { not: versionId } }, select: { id: true } });
    await tx.modelVersion.updateMany({ where: { status: "serving", id: { not: versionId } }, data: { status: "retired" } });
    await tx.modelVersion.update({ where: { id: versionId }, data: { status: "serving", promotedAt: new Date() } });
    await tx.modelEvent.create({ data: { kind, versionId, fromId: before[0]?.id ?? null, actorId, override } });
  });
}

export type ModelEventRow = { kind: "promote" | "rollback"; version: string; from: string | null; actor: string; override: string | null; at: Date };

export async function modelEvents(db: Db, { take = 50 } = {}): Promise<ModelEventRow[]> {
  const rows = await db.modelEvent.findMany({
    orderBy: { createdAt: "desc" },
    take,
    select: { kind: true, override: true, createdAt: true, version: { select: { name: true } }, from: { select: { name: true } }, actor: { select: { email: true } } },
  });
  return rows.map((r) => ({ kind: r.kind, version: r.version.name, from: r.from?.name ?? null, actor: r.actor?.email ?? "set-up or CLI", override: r.override, at: r.createdAt }));
}

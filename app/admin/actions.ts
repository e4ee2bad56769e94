"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { ROLES } from "@/server/auth/access";
import { assignRole } from "@/server/auth/roles";
import { authorize } from "@/server/auth/session";
import { AppError } from "@/server/http/errors";

const RoleInput = z.object({ userId: z.string().min(1).max(64), role: z.enum(ROLES) });

export type RoleResult = { ok: true } | { ok: false; error: string };

export async function setRoleAction(input: { userId: string; role: string }): Promise<RoleResult> {
  const parsed = RoleInput.safeParse(input);
  if (!parsed.success) return { ok: false, error: "Unknown account or role." };
  try {
    const actor = await authorize("roles.assign");
    await assignRole(actor.db, parsed.data);
  } catch (error) {
    if (error instanceof AppError) return { ok: false, error: error.message };
    throw error;
  }
  revalidatePath("/admin");
  return { ok: true };
}

import "server-only";
import type { Db } from "../db/client";
import { countAdmins, findAccount, setAccountRole } from "../db/queries/users";
import { AppError } from "../http/errors";
import type { RoleName } from "./access";

/**
 * Role assignment, for the admin page and the CLI (callers check that the actor may assign roles).
 * The last admin cannot be demoted, so there is always someone who can assign roles.
 */
export async function assignRole(db: Db, { userId, role }: { userId: string; role: RoleName }): Promise<void> {
  const target = await findAccount(db, { id: userId });
  if (!target) throw new AppError("not_found:account", "No account with this id.");
  if (target.role === "admin" && role !== "admin" && (await countAdmins(db)) <= 1) {
    throw new AppError("bad_request:last_admin", "This is the only admin: make another account an admin first.");
  }
  if (!(await setAccountRole(db, { userId, role }))) throw new AppError("not_found:account", "No account with this id.");
}

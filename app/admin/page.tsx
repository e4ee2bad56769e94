import { RoleSelect } from "@/components/admin/role-select";
import { ROLE_LABELS } from "@/server/auth/access";
import { requirePagePermission } from "@/server/auth/session";
import { listAccounts } from "@/server/db/queries/users";

export const dynamic = "force-dynamic";
export const metadata = { title: "Accounts — Reco" };

/** Admins assign roles: merchandisers review explanations, the product team watches metrics and updates models. */
export default async function AdminPage() {
  const actor = await requirePagePermission("roles.assign", "/admin");
  const accounts = await listAccounts(actor.db);
  return (
    <div className="mx-auto w-full max-w-3xl overflow-y-auto p-6">
      <h1 className="text-xl font-semibold tracking-tight">Accounts and roles</h1>
      <p className="mt-1 text-sm text-neutral-600 dark:text-neutral-400">
        {ROLE_LABELS.merchandiser}s review explanation text; the {ROLE_LABELS.product.toLowerCase()} watches feedback metrics and updates
        models; admins do both and assign roles. A change applies on the account&apos;s next page load.
      </p>
      <table className="mt-6 w-full text-left text-sm" data-testid="accounts">
        <thead className="border-b border-neutral-200 text-neutral-500 dark:border-neutral-800">
          <tr>
            <th className="py-2 font-medium">Account</th>
            <th className="py-2 font-medium">Since</th>
            <th className="py-2 font-medium">Role</th>
          </tr>
        </thead>
        <tbody>
          {accounts.map((a) => (
            <tr key={a.id} className="border-b border-neutral-100 dark:border-neutral-900" data-email={a.email}>
              <td className="py-2">
                <div className="font-medium">{a.name}</div>
                <div className="text-neutral-500">{a.email}</div>
              </td>
              <td className="py-2 text-neutral-500">{a.createdAt.toISOString().slice(0, 10)}</td>
              <td className="py-2">
                <RoleSelect userId={a.id} role={a.role} label={`Role of ${a.email}`} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

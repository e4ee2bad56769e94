import Link from "next/link";
import { signOutAction } from "@/app/(account)/actions";
import { ROLE_LABELS, can } from "@/server/auth/access";
import type { Actor } from "@/server/auth/session";

const linkClass = "rounded-md px-2 py-1 hover:bg-neutral-200/60 dark:hover:bg-neutral-800";

/** Who is signed in, the pages their role opens, and sign out; or, for a guest, sign in and sign up. */
export function AccountMenu({ actor }: { actor: Actor | null }) {
  if (!actor?.account) {
    return (
      <div className="flex items-center gap-1 border-t border-neutral-200 px-2 py-2 text-sm dark:border-neutral-800" data-testid="account-menu">
        <span className="flex-1 px-1 text-xs text-neutral-500">Chatting as a guest</span>
        <Link href="/sign-in" className={linkClass}>
          Sign in
        </Link>
        <Link href="/sign-up" className={`${linkClass} font-medium text-blue-600 dark:text-blue-400`}>
          Sign up
        </Link>
      </div>
    );
  }
  return (
    <div className="border-t border-neutral-200 px-3 py-2 text-sm dark:border-neutral-800" data-testid="account-menu">
      <div className="flex items-center gap-2">
        <div className="min-w-0 flex-1">
          <div className="truncate font-medium" title={actor.account.email}>
            {actor.account.name || actor.account.email}
          </div>
          <div className="text-xs text-neutral-500" data-testid="account-role">
            {ROLE_LABELS[actor.role]}
          </div>
        </div>
        <form action={signOutAction}>
          <button type="submit" className={`${linkClass} text-neutral-600 dark:text-neutral-300`}>
            Sign out
          </button>
        </form>
      </div>
      {(can(actor.role, "explanations.review") || can(actor.role, "insights.view") || can(actor.role, "roles.assign")) && (
        <nav aria-label="Work" className="mt-1 flex flex-wrap gap-1 text-xs">
          {can(actor.role, "insights.view") && (
            <Link href="/insights" className={linkClass}>
              Insights
            </Link>
          )}
          {can(actor.role, "explanations.review") && (
            <Link href="/review" className={linkClass}>
              Review explanations
            </Link>
          )}
          {can(actor.role, "roles.assign") && (
            <Link href="/admin" className={linkClass}>
              Accounts and roles
            </Link>
          )}
        </nav>
      )}
    </div>
  );
}

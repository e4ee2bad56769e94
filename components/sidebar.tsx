import Link from "next/link";
import { currentActor } from "@/server/auth/session";
import { listConversations } from "@/server/db/queries/conversations";
import { AccountMenu } from "./account/account-menu";
import { ConversationLink } from "./conversation-link";
import { SidebarFrame } from "./sidebar-frame";

/** The visitor's (guest's or account's) conversations, newest first. */
export async function Sidebar() {
  const actor = await currentActor();
  const conversations = actor ? await listConversations(actor.db, { userId: actor.userId }) : [];
  return (
    <SidebarFrame>
      <div className="flex items-center justify-between px-3 py-3">
        <Link href="/" className="text-base font-semibold tracking-tight">
          Reco
        </Link>
        <Link
          href="/"
          data-testid="new-chat"
          className="rounded-lg border border-neutral-300 px-2.5 py-1 text-sm hover:bg-neutral-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 dark:border-neutral-700 dark:hover:bg-neutral-800"
        >
          New chat
        </Link>
      </div>
      <nav aria-label="Conversations" className="flex-1 overflow-y-auto px-2 pb-3">
        {conversations.length === 0 ? (
          <p className="px-2 py-4 text-sm text-neutral-500">No conversations yet.</p>
        ) : (
          <ul className="space-y-0.5" data-testid="conversation-list">
            {conversations.map((c) => (
              <li key={c.id}>
                <ConversationLink id={c.id} title={c.title} />
              </li>
            ))}
          </ul>
        )}
      </nav>
      <AccountMenu actor={actor} />
      <footer className="border-t border-neutral-200 px-3 py-2 text-[11px] leading-snug text-neutral-500 dark:border-neutral-800">
        Demo catalog:{" "}
        <a href="https://github.com/zygmuntz/goodbooks-10k" className="underline hover:text-neutral-700 dark:hover:text-neutral-300">
          goodbooks-10k
        </a>{" "}
        by Zygmunt Zając,{" "}
        <a href="https://creativecommons.org/licenses/by-sa/4.0/" className="underline hover:text-neutral-700 dark:hover:text-neutral-300">
          CC BY-SA 4.0
        </a>{" "}
        (shelf tags turned into genres; see demo/goodbooks/ATTRIBUTION.md).
      </footer>
    </SidebarFrame>
  );
}

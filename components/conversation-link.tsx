"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useTransition } from "react";
import { removeConversation } from "@/app/actions";

export function ConversationLink({ id, title }: { id: string; title: string }) {
  const pathname = usePathname();
  const router = useRouter();
  const [deleting, startDeleting] = useTransition();
  const href = `/c/${id}`;
  const active = pathname === href;
  return (
    <div
      className={`group flex items-center rounded-lg text-sm ${
        active ? "bg-neutral-200 dark:bg-neutral-800" : "hover:bg-neutral-100 dark:hover:bg-neutral-800/60"
      } ${deleting ? "opacity-50" : ""}`}
    >
      <Link
        href={href}
        aria-current={active ? "page" : undefined}
        className="min-w-0 flex-1 truncate rounded-lg px-2 py-1.5 focus-visible:outline-2 focus-visible:outline-blue-500"
      >
        {title}
      </Link>
      <button
        type="button"
        aria-label={`Delete conversation “${title}”`}
        disabled={deleting}
        onClick={() =>
          startDeleting(async () => {
            await removeConversation(id);
            if (active) router.push("/");
          })
        }
        className="mr-1 rounded px-1.5 text-neutral-400 opacity-0 hover:text-red-600 focus-visible:opacity-100 group-hover:opacity-100"
      >
        ×
      </button>
    </div>
  );
}

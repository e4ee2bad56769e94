import type { ReactNode } from "react";

/** The frame of the sign-in and sign-up pages. */
export function AccountPage({ title, lead, children }: { title: string; lead: string; children: ReactNode }) {
  return (
    <div className="m-auto w-full max-w-sm p-6">
      <h1 className="text-xl font-semibold tracking-tight">{title}</h1>
      <p className="mt-1 mb-6 text-sm text-neutral-600 dark:text-neutral-400">{lead}</p>
      {children}
    </div>
  );
}

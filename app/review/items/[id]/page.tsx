import Link from "next/link";
import { notFound } from "next/navigation";
import { StatusBadge } from "@/components/review/status-badge";
import { requirePagePermission } from "@/server/auth/session";
import { reviewHistory } from "@/server/db/queries/reviews";

export const dynamic = "force-dynamic";
export const metadata = { title: "Explanation history — Reco" };

/** The audit trail of one item's explanations: every decision, who made it and when. */
export default async function ItemReviewPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const actor = await requirePagePermission("explanations.review", `/review/items/${id}`);
  const itemId = Number(id);
  const history = Number.isSafeInteger(itemId) && itemId > 0 ? await reviewHistory(actor.db, { itemId }) : null;
  if (!history) notFound();
  return (
    <div className="mx-auto w-full max-w-3xl overflow-y-auto p-6">
      <Link href="/review" className="text-sm text-neutral-600 hover:underline dark:text-neutral-400">
        ← Review queue
      </Link>
      <h1 className="mt-2 text-xl font-semibold tracking-tight">{history.title}</h1>
      <p className="mt-1 text-sm text-neutral-600 dark:text-neutral-400">Every decision on this item&apos;s explanations, newest first.</p>
      {history.entries.length === 0 ? (
        <p className="mt-6 text-sm text-neutral-500">No decisions yet.</p>
      ) : (
        <ol className="mt-6 space-y-4" data-testid="audit-trail">
          {history.entries.map((e, i) => (
            <li key={i} className="rounded-lg border border-neutral-200 p-3 text-sm dark:border-neutral-800" data-testid="audit-entry">
              <div className="flex flex-wrap items-center gap-2">
                <StatusBadge status={e.status} />
                <span className="font-medium">{e.reviewer}</span>
                <time className="text-neutral-500" dateTime={e.at.toISOString()}>
                  {e.at.toISOString().replace("T", " ").slice(0, 16)} UTC
                </time>
                <span className="text-neutral-500">· {e.reason}</span>
              </div>
              <p className="mt-2 whitespace-pre-wrap text-neutral-700 dark:text-neutral-300">{e.originalText}</p>
              {e.editedText !== null && (
                <p className="mt-1 whitespace-pre-wrap text-blue-800 dark:text-blue-300">
                  <span className="font-medium">→ </span>
                  {e.editedText}
                </p>
              )}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

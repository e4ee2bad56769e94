import Link from "next/link";
import { ReviewFilters } from "@/components/review/review-filters";
import { ReviewQueue } from "@/components/review/review-queue";
import { requirePagePermission } from "@/server/auth/session";
import { explanationModelVersions, explanationQueue } from "@/server/db/queries/reviews";
import { QueueQuery, queueFilters } from "@/server/review/review";

export const dynamic = "force-dynamic";
export const metadata = { title: "Review explanations — Reco" };

const PAGE_SIZE = 50;

/** Merchandisers review the explanation texts the chat has shown, most shown first. */
export default async function ReviewPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const actor = await requirePagePermission("explanations.review", "/review");
  const raw = Object.fromEntries(Object.entries(await searchParams).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const parsed = QueueQuery.safeParse(raw);
  const query = parsed.success ? parsed.data : QueueQuery.parse({});
  const [{ rows, total }, versions] = await Promise.all([
    explanationQueue(actor.db, queueFilters(query), { take: PAGE_SIZE, skip: (query.page - 1) * PAGE_SIZE }),
    explanationModelVersions(actor.db),
  ]);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const pageLink = (page: number) => `/review?${new URLSearchParams({ ...(raw as Record<string, string>), page: String(page) })}`;
  const filtered = Object.entries(raw).some(([k, v]) => k !== "page" && v);

  return (
    <div className="mx-auto w-full max-w-5xl overflow-y-auto p-6">
      <h1 className="text-xl font-semibold tracking-tight">Review explanations</h1>
      <p className="mt-1 text-sm text-neutral-600 dark:text-neutral-400">
        Every text the chat has shown, one row per item, reason and text, most shown first. Approve to keep serving a text for that item and
        reason, edit to serve your own, reject to never serve it again (the chat writes a new one). Each decision is kept: open an item to see
        who changed what.
      </p>
      {!parsed.success && (
        <p role="alert" className="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950/40 dark:text-red-300">
          Some filters were not understood ({parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}); showing everything.
        </p>
      )}
      <ReviewFilters query={query} versions={versions} />
      <p className="mt-4 text-sm text-neutral-500" data-testid="review-total">
        {total} {total === 1 ? "text" : "texts"}
        {pages > 1 && ` · page ${query.page} of ${pages}`}
      </p>
      {rows.length === 0 ? (
        <p className="mt-6 rounded-lg border border-dashed border-neutral-300 p-6 text-center text-sm text-neutral-500 dark:border-neutral-700">
          {filtered
            ? "No texts match these filters. Clear them to see the whole queue."
            : "No explanations yet. They appear here once the chat has shown recommendations."}
        </p>
      ) : (
        <ReviewQueue rows={rows} />
      )}
      {pages > 1 && (
        <nav aria-label="Pages" className="mt-4 flex gap-3 text-sm">
          {query.page > 1 && <Link href={pageLink(query.page - 1)}>← Previous</Link>}
          {query.page < pages && <Link href={pageLink(query.page + 1)}>Next →</Link>}
        </nav>
      )}
    </div>
  );
}

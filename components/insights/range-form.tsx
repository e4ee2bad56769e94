import Link from "next/link";

const field = "mt-1 block rounded-lg border border-neutral-300 bg-white px-2 py-1.5 text-sm dark:border-neutral-700 dark:bg-neutral-900";

/** The date range: quick links and a plain GET form (a range is a shareable link). */
export function RangeForm({ from, to }: { from: string; to: string }) {
  return (
    <form method="get" action="/insights" className="flex flex-wrap items-end gap-3 text-sm" data-testid="range-form">
      <label>
        From
        <input type="date" name="from" defaultValue={from} className={field} />
      </label>
      <label>
        To
        <input type="date" name="to" defaultValue={to} className={field} />
      </label>
      <button type="submit" className="rounded-lg bg-neutral-900 px-3 py-1.5 text-white dark:bg-white dark:text-neutral-900">
        Show
      </button>
      <span className="flex gap-2 text-neutral-600 dark:text-neutral-400">
        {[7, 30, 90, 365].map((days) => (
          <Link key={days} href={`/insights?from=${new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10)}`} className="hover:underline">
            last {days} days
          </Link>
        ))}
      </span>
    </form>
  );
}

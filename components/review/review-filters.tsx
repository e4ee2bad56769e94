import Link from "next/link";
import type { QueueQuery } from "@/server/review/review";

const field = "mt-1 block w-full rounded-lg border border-neutral-300 bg-white px-2 py-1.5 text-sm dark:border-neutral-700 dark:bg-neutral-900";

/** The queue's filters: a plain GET form, so a filtered queue is a link that can be shared. */
export function ReviewFilters({ query, versions }: { query: QueueQuery; versions: string[] }) {
  return (
    <form method="get" action="/review" className="mt-4 grid grid-cols-2 gap-3 text-sm md:grid-cols-4" data-testid="review-filters">
      <label>
        Item
        <input name="item" defaultValue={query.item ?? ""} placeholder="Title words" className={field} />
      </label>
      <label>
        Words in the text
        <input name="words" defaultValue={query.words ?? ""} className={field} />
      </label>
      <label>
        Reason
        <input name="reason" defaultValue={query.reason ?? ""} placeholder="e.g. similar to" className={field} />
      </label>
      <label>
        Status
        <select name="status" defaultValue={query.status ?? ""} className={field}>
          <option value="">Any</option>
          <option value="pending">Pending</option>
          <option value="approved">Approved</option>
          <option value="edited">Edited</option>
          <option value="rejected">Rejected</option>
        </select>
      </label>
      <label>
        Model version
        <select name="version" defaultValue={query.version ?? ""} className={field}>
          <option value="">Any</option>
          {versions.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <label>
        Shown from
        <input type="date" name="from" defaultValue={query.from ?? ""} className={field} />
      </label>
      <label>
        Shown to
        <input type="date" name="to" defaultValue={query.to ?? ""} className={field} />
      </label>
      <div className="flex items-end gap-2">
        <button type="submit" className="rounded-lg bg-neutral-900 px-3 py-1.5 text-white dark:bg-white dark:text-neutral-900">
          Filter
        </button>
        <Link href="/review" className="px-2 py-1.5 text-neutral-600 hover:underline dark:text-neutral-400">
          Clear
        </Link>
      </div>
    </form>
  );
}

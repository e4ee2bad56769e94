import type { ReviewStatus } from "@/server/db/queries/reviews";

const STYLES: Record<ReviewStatus, string> = {
  pending: "bg-neutral-100 text-neutral-700 dark:bg-neutral-800 dark:text-neutral-300",
  approved: "bg-green-100 text-green-800 dark:bg-green-950 dark:text-green-300",
  edited: "bg-blue-100 text-blue-800 dark:bg-blue-950 dark:text-blue-300",
  rejected: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300",
};

export function StatusBadge({ status }: { status: ReviewStatus }) {
  return <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${STYLES[status]}`} data-testid="review-status">{status}</span>;
}

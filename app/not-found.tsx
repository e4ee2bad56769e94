import Link from "next/link";

export default function NotFound() {
  return (
    <div className="m-auto max-w-sm p-6 text-center">
      <h1 className="text-lg font-semibold">Conversation not found</h1>
      <p className="mt-2 text-sm text-neutral-600 dark:text-neutral-400">
        It may have been deleted, or it belongs to another browser.
      </p>
      <Link href="/" className="mt-4 inline-block rounded-lg bg-neutral-900 px-4 py-2 text-sm text-white dark:bg-white dark:text-neutral-900">
        Start a new chat
      </Link>
    </div>
  );
}

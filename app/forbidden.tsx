import Link from "next/link";

export default function Forbidden() {
  return (
    <div className="m-auto max-w-sm p-6 text-center">
      <h1 className="text-lg font-semibold">Not allowed</h1>
      <p className="mt-2 text-sm text-neutral-600 dark:text-neutral-400">
        Your account&apos;s role does not open this page. An admin can change your role.
      </p>
      <Link href="/" className="mt-4 inline-block rounded-lg bg-neutral-900 px-4 py-2 text-sm text-white dark:bg-white dark:text-neutral-900">
        Back to the chat
      </Link>
    </div>
  );
}

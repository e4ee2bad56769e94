const EXAMPLES = [
  "Something like The Hobbit but shorter",
  "A funny science fiction book",
  "Mystery novels from the 90s, no romance",
  "Classics by Jane Austen",
];

export function EmptyState({ onPick }: { onPick: (text: string) => void }) {
  return (
    <div className="mt-10 text-center md:mt-20">
      <h1 className="text-2xl font-semibold tracking-tight">What would you like to read next?</h1>
      <p className="mt-2 text-sm text-neutral-600 dark:text-neutral-400">
        Name a book you loved, a genre, an author or a decade. Rate the suggestions to get better ones.
      </p>
      <div className="mx-auto mt-6 grid max-w-xl gap-2 sm:grid-cols-2">
        {EXAMPLES.map((example) => (
          <button
            key={example}
            type="button"
            onClick={() => onPick(example)}
            className="rounded-xl border border-neutral-200 px-3 py-2.5 text-left text-sm hover:bg-neutral-50 focus-visible:outline-2 focus-visible:outline-blue-500 dark:border-neutral-800 dark:hover:bg-neutral-900"
          >
            {example}
          </button>
        ))}
      </div>
    </div>
  );
}

"use client";

import Link from "next/link";
import { useActionState } from "react";
import type { AccountFormState } from "@/app/(account)/actions";

type Props = {
  mode: "sign-in" | "sign-up";
  action: (state: AccountFormState, form: FormData) => Promise<AccountFormState>;
  next: string;
  minPasswordLength: number;
};

const inputClass =
  "mt-1 block w-full rounded-lg border border-neutral-300 bg-white px-3 py-2 text-[15px] outline-none focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30 dark:border-neutral-700 dark:bg-neutral-900";

/** The sign-in and sign-up form: errors come back from the server action and keep what was typed (but the password). */
export function AccountForm({ mode, action, next, minPasswordLength }: Props) {
  const [state, formAction, pending] = useActionState(action, { error: null, email: "", name: "" });
  const signUp = mode === "sign-up";
  const other = signUp ? "/sign-in" : "/sign-up";
  return (
    <form action={formAction} className="space-y-4" data-testid={`${mode}-form`}>
      <input type="hidden" name="next" value={next} />
      {signUp && (
        <label className="block text-sm font-medium">
          Name <span className="font-normal text-neutral-500">(optional)</span>
          <input name="name" autoComplete="name" maxLength={80} defaultValue={state.name} className={inputClass} />
        </label>
      )}
      <label className="block text-sm font-medium">
        Email
        <input name="email" type="email" required autoComplete="email" defaultValue={state.email} className={inputClass} />
      </label>
      <label className="block text-sm font-medium">
        Password
        <input
          name="password"
          type="password"
          required
          minLength={signUp ? minPasswordLength : undefined}
          autoComplete={signUp ? "new-password" : "current-password"}
          className={inputClass}
        />
        {signUp && <span className="mt-1 block text-xs font-normal text-neutral-500">At least {minPasswordLength} characters.</span>}
      </label>
      {state.error && (
        <p role="alert" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950/40 dark:text-red-300">
          {state.error}
        </p>
      )}
      <button
        type="submit"
        disabled={pending}
        className="h-10 w-full rounded-lg bg-blue-600 text-sm font-medium text-white hover:bg-blue-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 disabled:opacity-50"
      >
        {pending ? (signUp ? "Creating your account…" : "Signing in…") : signUp ? "Create account" : "Sign in"}
      </button>
      <p className="text-center text-sm text-neutral-600 dark:text-neutral-400">
        {signUp ? "Already have an account? " : "No account yet? "}
        <Link href={next === "/" ? other : `${other}?next=${encodeURIComponent(next)}`} className="font-medium text-blue-600 hover:underline dark:text-blue-400">
          {signUp ? "Sign in" : "Create one"}
        </Link>
      </p>
    </form>
  );
}

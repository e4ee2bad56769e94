"use client";

import { useState, useTransition } from "react";
import { setRoleAction } from "@/app/admin/actions";
import { ROLES, ROLE_LABELS, type RoleName } from "@/server/auth/access";

/** One account's role: saved as soon as it changes; a refused change (the last admin) goes back and says why. */
export function RoleSelect({ userId, role, label }: { userId: string; role: RoleName; label: string }) {
  const [value, setValue] = useState(role);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <div>
      <select
        aria-label={label}
        value={value}
        disabled={pending}
        onChange={(event) => {
          const next = event.target.value as RoleName;
          const previous = value;
          setValue(next);
          setError(null);
          startTransition(async () => {
            const result = await setRoleAction({ userId, role: next });
            if (!result.ok) {
              setValue(previous);
              setError(result.error);
            }
          });
        }}
        className="rounded-lg border border-neutral-300 bg-white px-2 py-1 dark:border-neutral-700 dark:bg-neutral-900"
      >
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {ROLE_LABELS[r]}
          </option>
        ))}
      </select>
      {error && (
        <p role="alert" className="mt-1 text-xs text-red-600">
          {error}
        </p>
      )}
    </div>
  );
}

"use server";

import { redirect } from "next/navigation";
import { revalidatePath } from "next/cache";
import { SignInInput, SignUpInput, signIn, signOut, signUp } from "@/server/auth/accounts";
import { safeNextPath } from "@/server/auth/next-path";

export type AccountFormState = { error: string | null; email: string; name?: string };

function formFields(form: FormData) {
  const field = (name: string) => (typeof form.get(name) === "string" ? (form.get(name) as string) : "");
  return { email: field("email").trim(), password: field("password"), name: field("name"), next: safeNextPath(field("next")) };
}

export async function signUpAction(_state: AccountFormState, form: FormData): Promise<AccountFormState> {
  const { next, ...fields } = formFields(form);
  const parsed = SignUpInput.safeParse(fields);
  if (!parsed.success) return { error: parsed.error.issues[0]!.message, email: fields.email, name: fields.name };
  const result = await signUp(parsed.data);
  if (!result.ok) return { error: result.error, email: fields.email, name: fields.name };
  revalidatePath("/", "layout");
  redirect(next);
}

export async function signInAction(_state: AccountFormState, form: FormData): Promise<AccountFormState> {
  const { next, ...fields } = formFields(form);
  const parsed = SignInInput.safeParse(fields);
  if (!parsed.success) return { error: parsed.error.issues[0]!.message, email: fields.email };
  const result = await signIn(parsed.data);
  if (!result.ok) return { error: result.error, email: fields.email };
  revalidatePath("/", "layout");
  redirect(next);
}

export async function signOutAction(): Promise<void> {
  await signOut();
  revalidatePath("/", "layout");
  redirect("/");
}

import { redirect } from "next/navigation";
import { AccountForm } from "@/components/account/account-form";
import { AccountPage } from "@/components/account/account-page";
import { MIN_PASSWORD_LENGTH } from "@/server/auth/auth";
import { safeNextPath } from "@/server/auth/next-path";
import { currentActor } from "@/server/auth/session";
import { signUpAction } from "../actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "Create an account — Reco" };

export default async function SignUpPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const next = safeNextPath((await searchParams).next);
  if ((await currentActor())?.account) redirect(next);
  return (
    <AccountPage title="Create an account" lead="Keep your chats and feedback across browsers. The chats you started here come along.">
      <AccountForm mode="sign-up" action={signUpAction} next={next} minPasswordLength={MIN_PASSWORD_LENGTH} />
    </AccountPage>
  );
}

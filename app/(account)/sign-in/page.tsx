import { redirect } from "next/navigation";
import { AccountForm } from "@/components/account/account-form";
import { AccountPage } from "@/components/account/account-page";
import { MIN_PASSWORD_LENGTH } from "@/server/auth/auth";
import { safeNextPath } from "@/server/auth/next-path";
import { currentActor } from "@/server/auth/session";
import { signInAction } from "../actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "Sign in — Reco" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const next = safeNextPath((await searchParams).next);
  if ((await currentActor())?.account) redirect(next);
  return (
    <AccountPage title="Sign in" lead="Your chats from this browser move to your account.">
      <AccountForm mode="sign-in" action={signInAction} next={next} minPasswordLength={MIN_PASSWORD_LENGTH} />
    </AccountPage>
  );
}

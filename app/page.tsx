import { generateId } from "ai";
import { redirect } from "next/navigation";

export const dynamic = "force-dynamic";

/**
 * A new chat gets its id up front, so the page never changes route when the first answer
 * arrives (a route change would remount the chat while the visitor is using it).
 */
export default function NewChatPage() {
  redirect(`/c/${generateId()}`);
}

import { generateId } from "ai";
import { Chat } from "@/components/chat/chat";

export const dynamic = "force-dynamic";

/** A new, empty chat. Its id is fixed here; the conversation is stored with the first message. */
export default function NewChatPage() {
  const id = generateId();
  return <Chat key={id} id={id} initialMessages={[]} initialFeedback={{}} isNew />;
}

import { notFound } from "next/navigation";
import { Chat } from "@/components/chat/chat";
import { ChatRequest } from "@/server/chat/request";
import { currentActor } from "@/server/auth/session";
import { getConversation, ownedByAnother } from "@/server/db/queries/conversations";
import { activeFeedback } from "@/server/db/queries/feedback";

export const dynamic = "force-dynamic";

/** A conversation: the stored one, or a new empty chat when no conversation has this id yet. */
export default async function ConversationPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!ChatRequest.shape.id.safeParse(id).success) notFound();
  const actor = await currentActor();
  if (!actor) notFound();
  const conversation = await getConversation(actor.db, { id, userId: actor.userId });
  if (!conversation) {
    // Someone else's conversation is not found here (not an empty chat that would then refuse to answer).
    if (await ownedByAnother(actor.db, { id, userId: actor.userId })) notFound();
    return <Chat key={id} id={id} initialMessages={[]} initialFeedback={{}} />;
  }
  const recommendationIds = conversation.messages.flatMap((m) =>
    m.parts.flatMap((p) => (p.type === "data-item" ? [p.data.recommendationId] : [])),
  );
  const feedback = await activeFeedback(actor.db, { userId: actor.userId, recommendationIds });
  return <Chat key={id} id={id} initialMessages={conversation.messages} initialFeedback={feedback} />;
}

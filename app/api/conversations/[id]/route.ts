import { ChatRequest } from "@/server/chat/request";
import { currentActor } from "@/server/auth/session";
import { getConversation } from "@/server/db/queries/conversations";

export const dynamic = "force-dynamic";

/** The visitor's stored conversation, as the page renders it: the chat reloads it after a lost connection. */
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const actor = await currentActor();
  const conversation = actor && ChatRequest.shape.id.safeParse(id).success ? await getConversation(actor.db, { id, userId: actor.userId }) : null;
  if (!conversation) return Response.json({ error: "No such conversation." }, { status: 404 });
  return Response.json({ messages: conversation.messages });
}

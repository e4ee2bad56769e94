import { AppError } from "./errors";

/**
 * Checks at the edge of every state-changing route, before any work is done.
 */

/**
 * Cross-site request forgery: a browser sends Origin (or at least Sec-Fetch-Site) with every POST;
 * a request from another site's page is refused. Clients that are not browsers send neither and
 * cannot carry a visitor's cookies across sites, so they pass. (Server actions get the same check
 * from Next.js itself.)
 */
export function checkSameOrigin(request: Request): void {
  const origin = request.headers.get("origin");
  const site = request.headers.get("sec-fetch-site");
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  if (origin !== null) {
    let originHost: string | null = null;
    try {
      originHost = new URL(origin).host;
    } catch {
      // "null" (a sandboxed frame, a file) or garbage: not this site
    }
    if (originHost === null || originHost !== host) throw new AppError("forbidden:origin", "Requests from other sites are not accepted.");
    return;
  }
  if (site !== null && site !== "same-origin" && site !== "none") throw new AppError("forbidden:origin", "Requests from other sites are not accepted.");
}

/** Reads a JSON body of at most `maxBytes`, without buffering more than that of a larger one. */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  const tooLarge = () => new AppError("payload_too_large:body", `The request is too large (the limit is ${Math.round(maxBytes / 1024)} KB).`);
  if (declared > maxBytes) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new AppError("bad_request:json", "The request body is not valid JSON.");
  }
}

import { NextResponse, type NextRequest } from "next/server";
import { VISITOR_COOKIE, VISITOR_COOKIE_MAX_AGE, isVisitorId, newVisitorId } from "./server/visitors";

/**
 * Runs before every page and route:
 * - gives every visitor a stable identity cookie, so server components (which cannot set
 *   cookies) always see one;
 * - sets a Content-Security-Policy with a fresh nonce: only the scripts Next.js renders with that
 *   nonce run (Next.js reads the nonce from the request's CSP header and applies it itself), and
 *   the app cannot be framed. Other security headers are static (next.config.js).
 */
export function proxy(request: NextRequest) {
  const id = isVisitorId(request.cookies.get(VISITOR_COOKIE)?.value) ? null : newVisitorId();
  if (id) request.cookies.set(VISITOR_COOKIE, id); // this very request already carries it
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const csp = contentSecurityPolicy(nonce);
  const headers = new Headers(request.headers);
  headers.set("content-security-policy", csp);

  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  if (id) {
    response.cookies.set(VISITOR_COOKIE, id, { httpOnly: true, sameSite: "lax", path: "/", maxAge: VISITOR_COOKIE_MAX_AGE });
  }
  return response;
}

function contentSecurityPolicy(nonce: string): string {
  // React's development build evaluates code; the production build does not.
  const dev = process.env.NODE_ENV === "development" ? " 'unsafe-eval'" : "";
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};

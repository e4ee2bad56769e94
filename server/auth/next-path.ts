/** Where to go after signing in: a path on this site only (never `//host` or a full URL), else home. */
export function safeNextPath(value: string | null | undefined): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  try {
    const url = new URL(value, "http://reco.invalid");
    return url.origin === "http://reco.invalid" ? `${url.pathname}${url.search}` : "/";
  } catch {
    return "/";
  }
}

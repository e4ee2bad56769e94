/**
 * Errors a route answers on purpose, typed by a code ("rate_limited:chat") that fixes the HTTP
 * status, with a message written for people. Anything else is an internal error: logged in full,
 * answered with a generic message, so file names and stack traces never reach a visitor.
 */
const STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  conflict: 409,
  rate_limited: 429,
} as const;

export type ErrorKind = keyof typeof STATUS;
export type ErrorCode = `${ErrorKind}:${string}`;

export class AppError extends Error {
  readonly kind: ErrorKind;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.kind = code.split(":")[0] as ErrorKind;
  }

  get status(): number {
    return STATUS[this.kind];
  }
}

/** The JSON answer for an error: `{ code, error }`, with Retry-After on 429. */
export function errorResponse(error: unknown): Response {
  if (!(error instanceof AppError)) {
    console.error("internal error", error);
    return Response.json({ code: "internal", error: "Something went wrong on our side. Try again in a moment." }, { status: 500 });
  }
  const headers = error.retryAfterSeconds === undefined ? undefined : { "Retry-After": String(Math.max(1, Math.ceil(error.retryAfterSeconds))) };
  return Response.json({ code: error.code, error: error.message }, { status: error.status, headers });
}

import { randomUUID } from "node:crypto";

/**
 * Until real auth lands, each browser gets a stable random identity in a cookie.
 * The id is an unguessable UUID; the User row is created on first use.
 */
export const VISITOR_COOKIE = "reco_uid";
export const VISITOR_COOKIE_MAX_AGE = 60 * 60 * 24 * 365;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function newVisitorId(): string {
  return randomUUID();
}

export function isVisitorId(value: string | undefined): value is string {
  return value !== undefined && UUID.test(value);
}

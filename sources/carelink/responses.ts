import type { z } from 'zod';
import { responseCause, retryAfterMs, type WireResponse } from '../../lib/wire.js';
import { clError } from './errors.js';
import { firstIssue, oauthErrorSchema, tokenAnswerSchema, type TokenAnswer } from './wire.js';

/** What a CareLink answer means. */

/** When CareLink says 429 without saying for how long. */
export const DEFAULT_THROTTLE_MS = 5 * 60_000;

export function isAuthFailure(response: WireResponse): boolean {
  return response.httpStatus === 401 || response.httpStatus === 403;
}

function ok(response: WireResponse): boolean {
  return response.httpStatus >= 200 && response.httpStatus <= 299;
}

/** The coded error for an answer that is not a success (429, 5xx, other statuses). */
export function statusError(response: WireResponse, nowMs: number): Error {
  const cause = responseCause(response);
  if (response.httpStatus === 429) {
    const waitMs = retryAfterMs(response.retryAfter, nowMs) ?? DEFAULT_THROTTLE_MS;
    return clError('CL017', { params: { what: response.what, seconds: Math.ceil(waitMs / 1000) }, retryAfterMs: waitMs, cause });
  }
  if (isAuthFailure(response)) return clError('CL016', { params: { what: response.what, status: response.httpStatus }, cause });
  return clError('CL018', { params: { what: response.what, status: response.httpStatus }, status: response.httpStatus, cause });
}

/** A successful JSON answer of the given shape; every other answer is a coded error. */
export function jsonAnswer<T>(response: WireResponse, schema: z.ZodType<T>, nowMs: number): T {
  if (!ok(response)) throw statusError(response, nowMs);
  if (response.json === undefined) {
    throw clError('CL019', { params: { what: response.what, reason: 'not JSON' }, status: response.httpStatus, cause: responseCause(response) });
  }
  const parsed = schema.safeParse(response.json);
  if (parsed.success) return parsed.data;
  throw clError('CL019', { params: { what: response.what, reason: firstIssue(parsed.error) }, status: response.httpStatus, cause: responseCause(response) });
}

/** OAuth errors that mean the grant itself is dead; anything else (5xx, 429, network) is worth retrying. */
const PERMANENT = new Set(['invalid_grant', 'invalid_client']);

export type TokenOutcome = { kind: 'tokens'; tokens: TokenAnswer } | { kind: 'refused'; reason: string; cause: Error };

/** A token endpoint answer: tokens, a permanent refusal (`invalid_grant` / `invalid_client`), or a coded error. */
export function tokenAnswer(response: WireResponse, nowMs: number): TokenOutcome {
  if (!ok(response)) {
    const oauth = oauthErrorSchema.safeParse(response.json);
    if (response.httpStatus >= 400 && response.httpStatus < 500 && oauth.success && PERMANENT.has(oauth.data.error)) {
      const description = oauth.data.error_description?.slice(0, 120);
      return { kind: 'refused', reason: description ? `${oauth.data.error}: ${description}` : oauth.data.error, cause: responseCause(response) };
    }
    // A 401/403 here is about the request, not an access token: no "fresh token refused" message.
    if (isAuthFailure(response)) {
      throw clError('CL018', { params: { what: response.what, status: response.httpStatus }, status: response.httpStatus, cause: responseCause(response) });
    }
    throw statusError(response, nowMs);
  }
  return { kind: 'tokens', tokens: jsonAnswer(response, tokenAnswerSchema, nowMs) };
}

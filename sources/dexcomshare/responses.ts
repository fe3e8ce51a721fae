import { excerpt, retryAfterMs, type WireResponse } from '../../lib/wire.js';
import { dexError } from './errors.js';

/**
 * What a Dexcom Share answer means. Errors come back as HTTP 500 with a
 * `Code`; we branch on the code, never on the status. Ids (account, session) are UUIDs and are
 * masked in every cause, because the vendor echoes the session id in its messages.
 */

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ANY_UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

const MINUTE_MS = 60_000;
/** How long to stay away when Share throttles without saying for how long. */
export const THROTTLE_WAIT_MS = 5 * MINUTE_MS;
/** Cloudflare's blocks last longer than a plain throttle. */
export const BLOCK_WAIT_MS = 15 * MINUTE_MS;

export const SESSION_CODES = new Set(['SessionIdNotFound', 'SessionNotValid']);

export interface Fault {
  code: string;
  message: string;
}

/** The vendor's `{Code, Message}`, if the body is one. */
export function faultOf(response: WireResponse): Fault | undefined {
  const body = response.json;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { Code: code, Message: message } = body as Record<string, unknown>;
  if (typeof code !== 'string' || code === '') return undefined;
  return { code, message: typeof message === 'string' ? message : '' };
}

export function maskIds(text: string): string {
  return text.replace(ANY_UUID, '***');
}

/** Status and a short, redacted excerpt: no password field, no id. */
export function causeOf(response: Pick<WireResponse, 'httpStatus' | 'text'>): Error {
  const body = maskIds(excerpt(response.text));
  return new Error(body ? `HTTP ${response.httpStatus}: ${body}` : `HTTP ${response.httpStatus} (empty body)`);
}

function reasonOf(fault: Fault): string {
  const message = maskIds(fault.message).slice(0, 120);
  return message ? `${fault.code}: ${message}` : fault.code;
}

function isRefusal(fault: Fault): boolean {
  if (fault.code === 'AccountPasswordInvalid' || fault.code === 'SSO_AuthenticatePasswordInvalid') return true;
  return fault.code === 'SSO_InternalError' && /cannot authenticate/i.test(fault.message);
}

function isCloudflareBlock(response: WireResponse): boolean {
  return (response.httpStatus === 403 || response.httpStatus === 503) && /cloudflare/i.test(response.text) && !response.contentType.includes('json');
}

/** Which call a failure came from: a refused password means something else on a data call. */
export type Phase = 'login' | 'data';

/** The coded error for a non-successful answer. */
export function answerError(response: WireResponse, phase: Phase, nowMs: number): Error {
  const cause = causeOf(response);
  const fault = faultOf(response);
  if (fault) {
    const reason = reasonOf(fault);
    if (SESSION_CODES.has(fault.code)) return dexError('DEX006', { params: { reason: fault.code }, cause });
    if (fault.code === 'SSO_AuthenticateMaxAttemptsExceeded') return dexError('DEX004', { params: { minutes: LOCK_MINUTES }, cause });
    if (isRefusal(fault)) {
      // AccountPasswordInvalid is also what a migrated account gets until it signs in at the app once.
      if (phase === 'login') return dexError(fault.code === 'AccountPasswordInvalid' ? 'DEX017' : 'DEX002', { params: { reason: fault.code }, cause });
      // Seen on data calls in 2026 as a transient or a rate limit (cgm-remote-monitor#8440): wait, don't hammer.
      return dexError('DEX011', { params: { reason, minutes: THROTTLE_WAIT_MS / MINUTE_MS }, retryAfterMs: THROTTLE_WAIT_MS, cause });
    }
    if (fault.code === 'InvalidArgument' && phase === 'login') return dexError('DEX008', { params: { reason }, cause });
    return dexError('DEX009', { params: { what: response.what, code: fault.code, reason }, status: response.httpStatus, cause });
  }
  if (response.httpStatus === 429) {
    const waitMs = retryAfterMs(response.retryAfter, nowMs) ?? THROTTLE_WAIT_MS;
    return dexError('DEX011', { params: { reason: 'HTTP 429', minutes: Math.ceil(waitMs / MINUTE_MS) }, retryAfterMs: waitMs, cause });
  }
  if (isCloudflareBlock(response)) {
    return dexError('DEX011', { params: { reason: `Cloudflare HTTP ${response.httpStatus}`, minutes: BLOCK_WAIT_MS / MINUTE_MS }, retryAfterMs: BLOCK_WAIT_MS, cause });
  }
  if (response.httpStatus < 200 || response.httpStatus > 299) return dexError('DEX010', { params: { what: response.what, status: response.httpStatus }, status: response.httpStatus, cause });
  return dexError('DEX012', { params: { what: response.what, reason: 'no JSON' }, status: response.httpStatus, cause });
}

/** How long gluco-hub stays away from an account Dexcom locked (the lock's length is not published). */
export const LOCK_MINUTES = 60;

/** Step 1 or 2: a UUID string, never the all-zero one. */
export function uuidAnswer(response: WireResponse, nowMs: number): string {
  const ok = response.httpStatus >= 200 && response.httpStatus <= 299;
  if (!ok || faultOf(response)) throw answerError(response, 'login', nowMs);
  const body = response.json;
  if (typeof body !== 'string' || !UUID.test(body)) {
    throw dexError('DEX012', { params: { what: response.what, reason: 'not an id' }, status: response.httpStatus, cause: causeOf(response) });
  }
  if (body === ZERO_UUID) {
    // A failed login in disguise: logging in again at once would only feed a lockout.
    const cause = new Error(`${response.what} returned ${ZERO_UUID}`);
    throw dexError('DEX007', { params: { what: response.what, minutes: THROTTLE_WAIT_MS / MINUTE_MS }, retryAfterMs: THROTTLE_WAIT_MS, cause });
  }
  return body.toLowerCase();
}

/** The readings call: the raw array (possibly empty). */
export function readingsAnswer(response: WireResponse, nowMs: number): unknown[] {
  const ok = response.httpStatus >= 200 && response.httpStatus <= 299;
  if (!ok || faultOf(response)) throw answerError(response, 'data', nowMs);
  if (!Array.isArray(response.json)) {
    throw dexError('DEX012', { params: { what: response.what, reason: 'not an array' }, status: response.httpStatus, cause: causeOf(response) });
  }
  return response.json as unknown[];
}

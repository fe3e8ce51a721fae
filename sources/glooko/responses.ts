import { excerpt, responseCause, retryAfterMs, type WireResponse } from '../../lib/wire.js';
import { glkError } from './errors.js';

/**
 * What a Glooko answer means. 401 on the sign-in is a refusal, on a
 * data call an expired session; 422 on the sign-in is the CSRF check (the caller may fall back to
 * the web form); 422/432/429 on data calls mean "back off" — the frame fails and the next one
 * starts from the same place, so nothing is skipped. A 404 feed is absent for this account.
 */

const MINUTE_MS = 60_000;
/** How long to stay away when Glooko refuses without saying for how long. */
export const THROTTLE_WAIT_MS = 15 * MINUTE_MS;
/** The statuses Glooko uses for "not now" on data feeds (432 since Dec 2023, nightscout-connect#39). */
export const BACKOFF_STATUSES = new Set([422, 429, 432]);

const ok = (response: WireResponse): boolean => response.httpStatus >= 200 && response.httpStatus <= 299;

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Two-step accounts: `twoFaRequired`, `two_fa_required`, `twoFactorRequired`, or a message about it. */
export function needsTwoFactor(response: WireResponse): boolean {
  const body = asObject(response.json);
  if (body && (body.twoFaRequired === true || body.two_fa_required === true || body.twoFactorRequired === true)) return true;
  if (response.httpStatus >= 400 && /two[- ]?(step|factor)|2fa/i.test(response.text)) return true;
  return /two[_-]?(step|factor)|otp|verification/i.test(response.location ?? '');
}

function backoff(response: WireResponse, nowMs: number): Error {
  const waitMs = retryAfterMs(response.retryAfter, nowMs) ?? THROTTLE_WAIT_MS;
  return glkError('GLK007', {
    params: { what: response.what, status: response.httpStatus, minutes: Math.max(1, Math.ceil(waitMs / MINUTE_MS)) },
    retryAfterMs: waitMs,
    cause: responseCause(response),
  });
}

function refusalReason(response: WireResponse): string {
  const body = asObject(response.json);
  const text = body && typeof body.error === 'string' ? body.error : body && typeof body.message === 'string' ? body.message : '';
  return text ? `HTTP ${response.httpStatus}: ${excerpt(text).slice(0, 120)}` : `HTTP ${response.httpStatus}`;
}

/** The API sign-in: the body (it may hold the patient code). GLK011 with status 422 asks for the web form. */
export function signInAnswer(response: WireResponse, nowMs: number): Record<string, unknown> {
  if (needsTwoFactor(response)) throw glkError('GLK004', { cause: responseCause(response) });
  if (ok(response)) return asObject(response.json) ?? {};
  if (response.httpStatus === 401) throw glkError('GLK002', { params: { reason: refusalReason(response) }, cause: responseCause(response) });
  if (response.httpStatus === 422) throw glkError('GLK011', { params: { reason: 'HTTP 422, InvalidAuthenticityToken' }, cause: responseCause(response) });
  if (response.httpStatus === 429 || response.httpStatus === 432) throw backoff(response, nowMs);
  throw glkError('GLK008', { params: { what: response.what, status: response.httpStatus }, status: response.httpStatus, cause: responseCause(response) });
}

const TOKEN_PATTERNS = [
  /name=["']authenticity_token["'][^>]*value=["']([^"']+)["']/i,
  /value=["']([^"']+)["'][^>]*name=["']authenticity_token["']/i,
  /name=["']csrf-token["'][^>]*content=["']([^"']+)["']/i,
  /content=["']([^"']+)["'][^>]*name=["']csrf-token["']/i,
];

/** The web form's `authenticity_token` (hidden input, else the `csrf-token` meta). */
export function authenticityToken(response: WireResponse, nowMs: number): string {
  if (!ok(response)) {
    if (response.httpStatus === 429 || response.httpStatus === 432) throw backoff(response, nowMs);
    throw glkError('GLK008', { params: { what: response.what, status: response.httpStatus }, status: response.httpStatus, cause: responseCause(response) });
  }
  for (const pattern of TOKEN_PATTERNS) {
    const token = pattern.exec(response.text)?.[1];
    if (token) return token;
  }
  throw glkError('GLK009', { params: { what: response.what, reason: 'no authenticity_token in the form' }, status: response.httpStatus });
}

/** The web form sign-in: a redirect away from the form is success; the form again is a refusal. */
export function signInFormAnswer(response: WireResponse, nowMs: number): void {
  if (needsTwoFactor(response)) throw glkError('GLK004', { cause: new Error(`HTTP ${response.httpStatus} to a two-step page`) });
  const redirected = response.httpStatus >= 300 && response.httpStatus <= 399;
  if (redirected && !/\/users\/sign_in/.test(response.location ?? '')) return;
  if (ok(response) && response.json !== undefined) return;
  if (response.httpStatus === 429 || response.httpStatus === 432) throw backoff(response, nowMs);
  if (response.httpStatus === 422) throw glkError('GLK011', { params: { reason: 'the web form refused its own token (HTTP 422)' }, cause: responseCause(response) });
  if (redirected || response.httpStatus === 401 || ok(response)) {
    throw glkError('GLK002', { params: { reason: redirected ? 'the web form sent us back to it' : `web form, HTTP ${response.httpStatus}` } });
  }
  throw glkError('GLK008', { params: { what: response.what, status: response.httpStatus }, status: response.httpStatus, cause: responseCause(response) });
}

/**
 * A data call's JSON object; `undefined` for a feed this account does not have (404).
 * GLK006 on 401, GLK007 (back off) on 422/432/429, GLK008 on other statuses, GLK009 on a body that is not an object.
 */
export function dataAnswer(response: WireResponse, nowMs: number): Record<string, unknown> | undefined {
  if (response.httpStatus === 401) throw glkError('GLK006', { params: { reason: `HTTP 401 on ${response.what}` }, status: 401, cause: responseCause(response) });
  if (response.httpStatus === 404) return undefined;
  if (BACKOFF_STATUSES.has(response.httpStatus)) throw backoff(response, nowMs);
  if (!ok(response)) throw glkError('GLK008', { params: { what: response.what, status: response.httpStatus }, status: response.httpStatus, cause: responseCause(response) });
  const body = asObject(response.json);
  if (!body) throw glkError('GLK009', { params: { what: response.what, reason: response.json === undefined ? 'no JSON' : 'not an object' }, status: response.httpStatus, cause: responseCause(response) });
  return body;
}

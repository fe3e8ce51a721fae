import type { GlucoHubError } from '../../lib/errors.js';
import type { WireResponse } from './client.js';
import { responseCause, retryAfterMs } from '../../lib/wire.js';
import { lluError } from './errors.js';
import { outdatedVersion } from './outdated-version.js';
import { envelopeSchema } from './wire.js';

/** What an HTTP answer means, common to every call. */

const MINUTE_MS = 60_000;
/** Cloudflare bans, HTTP 430 and 429 last minutes to hours; come back after 10–20 min, jittered. */
export const THROTTLE_MIN_MS = 10 * MINUTE_MS;
export const THROTTLE_JITTER_MS = 10 * MINUTE_MS;

export function isHtml(response: WireResponse): boolean {
  return /text\/html/i.test(response.contentType) || /^\s*</.test(response.text);
}

export function causeOf(response: WireResponse): Error {
  return responseCause(response);
}

/**
 * HTTP 429, 430 (LibreLink Up's own "blocked"), an HTML page (Cloudflare's WAF) or a 503 that
 * says when to come back (maintenance) → a long, jittered RateLimitError, never shorter than
 * `Retry-After`. `undefined` when not throttled. An HTML 5xx is a broken gateway, not a ban, and
 * stays a plain upstream error; so does a 503 without `Retry-After`.
 */
export function throttled(response: WireResponse, nowMs: number, rand: () => number): GlucoHubError | undefined {
  const { httpStatus } = response;
  const html = isHtml(response) && httpStatus < 500;
  const askedMs = retryAfterMs(response.retryAfter, nowMs);
  const unavailable = httpStatus === 503 && askedMs !== undefined;
  if (httpStatus !== 429 && httpStatus !== 430 && !html && !unavailable) return undefined;
  const waitMs = Math.max(askedMs ?? 0, THROTTLE_MIN_MS + rand() * THROTTLE_JITTER_MS);
  const reason = html ? `an HTML page instead of JSON, HTTP ${httpStatus}` : `HTTP ${httpStatus}`;
  return lluError('LLU007', {
    params: { reason, minutes: Math.round(waitMs / MINUTE_MS) },
    retryAfterMs: Math.round(waitMs),
    cause: causeOf(response),
  });
}

/** The body as JSON, or UpstreamError LLU023 (empty, HTML or truncated). */
export function jsonBody(response: WireResponse): unknown {
  if (response.json !== undefined) return response.json;
  const reason = response.text.trim() === '' ? 'empty body' : 'not valid JSON';
  throw lluError('LLU023', { params: { what: response.what, reason }, status: response.httpStatus, cause: causeOf(response) });
}

export function unexpectedStatus(response: WireResponse): GlucoHubError {
  return lluError('LLU022', { params: { what: response.what, status: response.httpStatus }, status: response.httpStatus, cause: causeOf(response) });
}

interface DataCallOptions {
  nowMs: number;
  rand: () => number;
  /** The configured `version` header, named in the 403 message. */
  version: string;
  /** The patient a graph call asked for, named when the server cannot load it. */
  patientId?: string;
}

function errorMessage(json: unknown): { status: number | undefined; message: string | undefined } {
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) return { status: undefined, message: undefined };
  return { status: parsed.data.status, message: parsed.data.error?.message ?? parsed.data.message };
}

function httpError(response: WireResponse, message: string | undefined, options: DataCallOptions): GlucoHubError {
  const cause = causeOf(response);
  const status = response.httpStatus;
  if (status === 401) return lluError('LLU017', { params: { reason: 'HTTP 401' }, cause });
  if (status === 403) return lluError('LLU015', { params: { version: options.version }, cause });
  if (message === 'RequiredHeaderMissing') return lluError('LLU016', { status, cause });
  if (message === 'MissingCachedUser') return lluError('LLU017', { params: { reason: message }, cause });
  return unexpectedStatus(response);
}

/**
 * The JSON body of a successful authenticated call (`connections`, `graph`), or the coded
 * error it stands for: 401 / MissingCachedUser → SessionExpiredError LLU017, status 920 → outdated
 * version LLU028 (an hour's wait), any other 403 → LLU015, 400 RequiredHeaderMissing → LLU016, throttling → LLU007.
 */
export function dataBody(response: WireResponse, options: DataCallOptions): unknown {
  const limit = throttled(response, options.nowMs, options.rand);
  if (limit) throw limit;
  const outdated = outdatedVersion(response, options.version, options.rand);
  if (outdated) throw outdated;
  const { status, message } = errorMessage(response.json);
  if (response.httpStatus < 200 || response.httpStatus >= 300) throw httpError(response, message, options);
  const json = jsonBody(response);
  if (message === 'MissingCachedUser') throw lluError('LLU017', { params: { reason: message }, cause: causeOf(response) });
  if (message === 'couldNotLoadPatient') {
    throw lluError('LLU021', { params: { patientId: options.patientId ?? '?', reason: message }, cause: causeOf(response) });
  }
  if (status !== 0) {
    throw lluError('LLU024', {
      params: { what: response.what, status: String(status), reason: message ?? 'no message' },
      status: response.httpStatus,
      cause: causeOf(response),
    });
  }
  return json;
}

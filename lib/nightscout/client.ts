import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import { MiB, sharedHttpClient } from '../http.js';
import { excerpt, responseCause, retryAfterMs, sendWire, type WireResponse } from '../wire.js';
import { nsError } from './errors.js';
import { createJwtSource, type Jwt } from './jwt.js';
import { hashApiSecret, looksHashed, type Site } from './site.js';

/**
 * HTTP to one Nightscout site with its credentials applied: API v3 with a JWT (renewed ahead of
 * time, and once on a 401), API v1 with the hashed API secret (or the JWT when only a token is
 * given). Auth failures, 5xx, rate limits (429/503 with Retry-After: NS016) and transport failures
 * become explained, coded errors here; every
 * other answer goes back to the caller, whose collection rules decide what a 4xx means.
 */

export type Api = 'v3' | 'v1';

export interface NightscoutRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below the site's base URL, e.g. `/api/v3/entries`. */
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
}

export interface NightscoutClient {
  readonly site: Site;
  /** Which API the credentials allow: v3 needs an access token, v1 takes either. */
  readonly canUseV3: boolean;
  request(api: Api, request: NightscoutRequest, signal: AbortSignal): Promise<WireResponse>;
  /** Resolves the credentials now (a token is exchanged for a JWT), so a bad token fails a login, not a read. */
  resolveCredentials(signal: AbortSignal): Promise<void>;
  /** Whether the server has API v3 (`/api/v3/version`, public). */
  hasV3(signal: AbortSignal): Promise<boolean>;
}

/**
 * One request to a site, answer included, takes no longer than this: shorter than the dead-letter
 * queue's 16 s of silence (DLQ003), so one slow document fails on its own while the others go on.
 */
export const NIGHTSCOUT_REQUEST_DEADLINE_MS = 10_000;

/**
 * The largest body sent to or read from a site (WIRE002 / WIRE001). A source page is 500
 * documents, and a closed loop's device status (predictions, IOB, COB, its reasoning) runs to
 * tens of KB: 500 of them at 64 KB fit.
 */
export const NIGHTSCOUT_MAX_BODY_BYTES = 32 * MiB;

const messageSchema = z.object({ message: z.string() });

/** Nightscout's `message` (or a redacted excerpt of the body): safe to log. */
export function responseMessage(response: WireResponse): string {
  const parsed = messageSchema.safeParse(response.json);
  return parsed.success ? parsed.data.message : excerpt(response.text) || 'no message';
}

/** `Missing permission api:entries:create` → the permission, and the set an uploader needs. */
function permissionError(site: Site, response: WireResponse): Error {
  const message = responseMessage(response);
  const permission = /Missing permission (\S+)/.exec(message)?.[1] ?? 'needed for this call';
  const [, collection, action] = /^api:([^:]+):(\w+)/.exec(permission) ?? [];
  // A reader needs read; an uploader also needs update, because re-sending a document is an update.
  const permissions = !collection ? 'the needed permissions' : action === 'read' ? `api:${collection}:read` : `api:${collection}:create, api:${collection}:update and api:${collection}:read`;
  return nsError('NS005', { params: { site: site.names.site, permission, permissions }, cause: responseCause(response) });
}

function toQuery(query: Record<string, string | number> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) params.append(key, String(value));
  const text = params.toString().replace(/%24/g, '$');
  return text ? `?${text}` : '';
}

export interface NightscoutClientOptions {
  now: () => number;
  http?: AxiosInstance;
  /** Per-request deadline; `NIGHTSCOUT_REQUEST_DEADLINE_MS` unless a test shortens it. */
  deadlineMs?: number;
}

export function createNightscoutClient(site: Site, options: NightscoutClientOptions): NightscoutClient {
  const http = options.http ?? sharedHttpClient();
  const limits = { deadlineMs: options.deadlineMs ?? NIGHTSCOUT_REQUEST_DEADLINE_MS, maxBytes: NIGHTSCOUT_MAX_BODY_BYTES };
  const jwt = site.token ? createJwtSource(http, site, options.now, limits) : undefined;
  const secretHash = site.apiSecret ? hashApiSecret(site.apiSecret) : undefined;
  const names = site.names;

  function send(request: NightscoutRequest, headers: Record<string, string>, signal: AbortSignal): Promise<WireResponse> {
    const what = `${request.method} ${request.path}`;
    return sendWire(
      http,
      {
        what,
        method: request.method,
        url: `${site.baseUrl}${request.path}${toQuery(request.query)}`,
        headers: { accept: 'application/json', ...headers },
        body: request.body,
        signal,
        ...limits,
      },
      (failure) => nsError('NS009', { params: { site: names.site, host: failure.host, reason: failure.reason }, cause: failure.cause }),
    );
  }

  /** Statuses that mean the same for every caller; anything else is returned. */
  function check(response: WireResponse): WireResponse {
    const { httpStatus } = response;
    if (httpStatus >= 300 && httpStatus < 400) {
      throw nsError('NS011', { params: { site: names.site, status: httpStatus, location: 'another URL' }, cause: responseCause(response) });
    }
    if (httpStatus === 403) throw permissionError(site, response);
    // A 429 or 503 that says when to come back is a rate limit: the frame waits (notBeforeMs) instead of retrying in seconds.
    const waitMs = httpStatus === 429 || httpStatus === 503 ? retryAfterMs(response.retryAfter, options.now()) : undefined;
    if (waitMs !== undefined) {
      const params = { site: names.site, what: response.what, status: httpStatus, seconds: Math.ceil(waitMs / 1000) };
      throw nsError('NS016', { params, retryAfterMs: waitMs, cause: responseCause(response) });
    }
    if (httpStatus >= 500 || httpStatus === 429 || httpStatus === 408) {
      const reason = response.json === undefined ? '' : ` (${responseMessage(response)})`;
      throw nsError('NS007', { params: { site: names.site, what: response.what, status: httpStatus, reason }, status: httpStatus, cause: responseCause(response) });
    }
    return response;
  }

  async function withJwt(request: NightscoutRequest, signal: AbortSignal): Promise<WireResponse> {
    if (!jwt) throw nsError('NS001', { params: { ...names } });
    let token: Jwt = await jwt.get(signal);
    let response = await send(request, { authorization: `Bearer ${token.token}` }, signal);
    if (response.httpStatus === 401) {
      // The server was reinstalled (new JWT key) or the clock drifted: one new JWT, then give up.
      jwt.invalidate(token);
      token = await jwt.get(signal);
      response = await send(request, { authorization: `Bearer ${token.token}` }, signal);
      if (response.httpStatus === 401) {
        throw nsError('NS006', { params: { ...names, what: response.what, reason: responseMessage(response) }, cause: responseCause(response) });
      }
    }
    return check(response);
  }

  async function withSecret(request: NightscoutRequest, hash: string, signal: AbortSignal): Promise<WireResponse> {
    const response = await send(request, { 'api-secret': hash }, signal);
    if (response.httpStatus === 401) {
      const code = site.apiSecret && looksHashed(site.apiSecret) ? 'NS002' : 'NS003';
      throw nsError(code, { params: { ...names }, cause: responseCause(response) });
    }
    return check(response);
  }

  /** v1 without credentials: the server's default roles (`readable` unless changed) apply. */
  async function anonymous(request: NightscoutRequest, signal: AbortSignal): Promise<WireResponse> {
    const response = await send(request, {}, signal);
    if (response.httpStatus === 401) throw nsError('NS001', { params: { ...names }, cause: responseCause(response) });
    return check(response);
  }

  return {
    site,
    canUseV3: jwt !== undefined,
    request(api, request, signal) {
      if (api === 'v3') return withJwt(request, signal);
      if (secretHash) return withSecret(request, secretHash, signal);
      if (jwt) return withJwt(request, signal);
      return anonymous(request, signal);
    },
    async resolveCredentials(signal) {
      if (jwt) await jwt.get(signal);
    },
    async hasV3(signal) {
      const response = await send({ method: 'GET', path: '/api/v3/version' }, {}, signal);
      if (response.httpStatus === 404) return false;
      const checked = check(response);
      if (checked.httpStatus === 200) return true;
      throw nsError('NS007', { params: { site: names.site, what: checked.what, status: checked.httpStatus, reason: '' }, status: checked.httpStatus, cause: responseCause(checked) });
    },
  };
}

import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import { responseCause, sendWire } from '../wire.js';
import { nsError } from './errors.js';
import { looksLikeAccessToken, type Site } from './site.js';

/**
 * The access token → JWT exchange (`/api/v2/authorization/request/<token>`). JWTs
 * live 8 h; an expired one counts as a failed login on the server (a 5 s per-IP
 * penalty and an admin notice), so we renew ahead of time rather than wait for the 401.
 */

const jwtAnswerSchema = z.object({
  token: z.string().min(1),
  sub: z.string().optional(),
  /** Seconds. */
  exp: z.number(),
  iat: z.number().optional(),
});

/** Renew this long before `exp`. */
export const JWT_RENEW_MARGIN_MS = 15 * 60_000;

export interface Jwt {
  token: string;
  /** Epoch ms. */
  expiresMs: number;
  subject: string | undefined;
}

export interface JwtSource {
  /** A JWT valid for at least the renewal margin; one exchange at a time. */
  get(signal: AbortSignal): Promise<Jwt>;
  /** After a 401 with this JWT: the next `get` exchanges again. */
  invalidate(jwt: Jwt): void;
}

/** The same bounds as every other request to the site (client.ts). */
export interface JwtLimits {
  deadlineMs: number;
  maxBytes: number;
}

export function createJwtSource(http: AxiosInstance, site: Site, now: () => number, limits: JwtLimits): JwtSource {
  let current: Jwt | undefined;
  let inFlight: Promise<Jwt> | undefined;
  const token = site.token;

  async function exchange(signal: AbortSignal): Promise<Jwt> {
    if (!token) throw nsError('NS001', { params: { ...site.names } });
    const response = await sendWire(
      http,
      {
        what: 'the token exchange',
        method: 'GET',
        url: `${site.baseUrl}/api/v2/authorization/request/${encodeURIComponent(token.reveal())}`,
        headers: { accept: 'application/json' },
        signal,
        ...limits,
      },
      (failure) => {
        // The token is in the URL; some transport errors (proxies, mocks) quote the URL back.
        const reason = failure.reason.split(token.reveal()).join('***').split(encodeURIComponent(token.reveal())).join('***');
        return nsError('NS009', { params: { site: site.names.site, host: failure.host, reason }, cause: new Error(reason) });
      },
    );
    const cause = responseCause(response);
    if (response.httpStatus === 401 || response.httpStatus === 403) {
      const looks = looksLikeAccessToken(token) ? '' : '; it does not look like an access token';
      throw nsError('NS004', { params: { ...site.names, looks }, cause });
    }
    if (response.httpStatus !== 200) {
      throw nsError('NS007', { params: { site: site.names.site, what: 'the token exchange', status: response.httpStatus, reason: '' }, status: response.httpStatus, cause });
    }
    const parsed = jwtAnswerSchema.safeParse(response.json);
    if (!parsed.success) {
      throw nsError('NS008', { params: { site: site.names.site, what: 'the token exchange', reason: response.json === undefined ? 'not JSON' : 'no token in it' }, status: 200, cause });
    }
    return { token: parsed.data.token, expiresMs: parsed.data.exp * 1000, subject: parsed.data.sub };
  }

  return {
    async get(signal) {
      if (current && current.expiresMs - JWT_RENEW_MARGIN_MS > now()) return current;
      inFlight ??= exchange(signal).finally(() => {
        inFlight = undefined;
      });
      current = await inFlight;
      return current;
    },
    invalidate(jwt) {
      if (current?.token === jwt.token) current = undefined;
    },
  };
}

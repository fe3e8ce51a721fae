import type { AxiosInstance } from 'axios';
import type { CookieJar } from 'tough-cookie';
import { MiB, sharedHttpClient } from '../../lib/http.js';
import type { RequestGate } from '../../lib/request-budget.js';
import { createLimiter, type Limiter } from '../../lib/limiter.js';
import { sendWire, type WireRequest, type WireResponse } from '../../lib/wire.js';
import type { DeviceInformation } from './device.js';
import { glkError } from './errors.js';
import type { Endpoint } from './regions.js';

/**
 * HTTP only: builds the Glooko requests and returns what came back,
 * unread; what a status or body means is decided in responses.ts. Every request goes through the
 * account's cookie jar (the `_logbook-web_session` cookie is the session) and the account's
 * limiter: at most 3 requests in flight, whichever loop sends them.
 */

export type { WireResponse } from '../../lib/wire.js';

/**
 * The largest Glooko answer read (WIRE001). A feed page holds up to 500 records and the graph two
 * days of every series asked for: hundreds of KB, so twice the others' cap.
 */
export const GLOOKO_MAX_ANSWER_BYTES = 8 * MiB;

/** nightscout-connect 2026 caps an account at 3 concurrent resource fetches. */
export const MAX_CONCURRENT = 3;

/** Glooko's web app is what the API expects to talk to; a bare client gets refused more often. */
const USER_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.5 Safari/605.1.15';

export interface Credentials {
  email: string;
  password: string;
}

export interface GlookoClient {
  readonly limiter: Limiter;
  /** `POST /api/v2/users/sign_in` with the device block. */
  signIn(endpoint: Endpoint, jar: CookieJar, credentials: Credentials, device: DeviceInformation, signal: AbortSignal): Promise<WireResponse>;
  /** `GET /users/sign_in?locale=en-GB`: the web form, for its authenticity token. */
  signInPage(endpoint: Endpoint, jar: CookieJar, signal: AbortSignal): Promise<WireResponse>;
  /** `POST /users/sign_in?id=login_form`: the web form sign-in. */
  signInForm(endpoint: Endpoint, jar: CookieJar, credentials: Credentials, token: string, signal: AbortSignal): Promise<WireResponse>;
  /** `GET /api/v3/session/users`: patient code, time zone, units. */
  sessionUsers(endpoint: Endpoint, jar: CookieJar, signal: AbortSignal): Promise<WireResponse>;
  /** One page of a v2 sync feed. */
  feedPage(endpoint: Endpoint, jar: CookieJar, path: string, params: Record<string, string>, signal: AbortSignal): Promise<WireResponse>;
  /** `GET /api/v3/graph/data` for `series` (sent as literal `series[]=`, as the web app does). */
  graph(endpoint: Endpoint, jar: CookieJar, params: Record<string, string>, series: readonly string[], signal: AbortSignal): Promise<WireResponse>;
}

function headers(endpoint: Endpoint, accept = 'application/json, text/plain, */*'): Record<string, string> {
  return {
    accept,
    'accept-language': 'en-GB,en;q=0.9',
    'user-agent': USER_AGENT,
    origin: endpoint.webOrigin,
    referer: `${endpoint.webOrigin}/`,
  };
}

/** `gate`: the fleet's shared per-host request budget; the limiter caps this account at 3 in flight. */
export function createGlookoClient(http: AxiosInstance = sharedHttpClient(), gate?: RequestGate): GlookoClient {
  const limiter = createLimiter(MAX_CONCURRENT);

  function send(jar: CookieJar, request: WireRequest): Promise<WireResponse> {
    return limiter.run(async () => {
      const cookie = await jar.getCookieString(request.url);
      const headers = cookie ? { ...request.headers, cookie } : request.headers;
      const response = await sendWire(http, { ...request, headers, maxBytes: GLOOKO_MAX_ANSWER_BYTES }, (failure) =>
        glkError('GLK010', { params: { host: failure.host, reason: failure.reason }, cause: failure.cause }),
        gate,
      );
      for (const header of response.setCookies) await jar.setCookie(header, request.url, { ignoreError: true });
      return response;
    });
  }

  return {
    limiter,
    signIn: (endpoint, jar, credentials, device, signal) =>
      send(jar, {
        what: 'the sign-in (POST /api/v2/users/sign_in)',
        method: 'POST',
        url: `${endpoint.baseUrl}/api/v2/users/sign_in`,
        headers: headers(endpoint),
        body: { userLogin: { email: credentials.email, password: credentials.password }, deviceInformation: device },
        signal,
      }),
    signInPage: (endpoint, jar, signal) =>
      send(jar, {
        what: 'the web sign-in page (GET /users/sign_in)',
        method: 'GET',
        url: `${endpoint.baseUrl}/users/sign_in?locale=en-GB`,
        headers: headers(endpoint, 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'),
        signal,
      }),
    signInForm: (endpoint, jar, credentials, token, signal) =>
      send(jar, {
        what: 'the web sign-in (POST /users/sign_in)',
        method: 'POST',
        url: `${endpoint.baseUrl}/users/sign_in?id=login_form`,
        headers: headers(endpoint, 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'),
        form: { authenticity_token: token, 'user[email]': credentials.email, 'user[password]': credentials.password, language: 'en', redirect_to: '/' },
        signal,
      }),
    sessionUsers: (endpoint, jar, signal) =>
      send(jar, { what: 'GET /api/v3/session/users', method: 'GET', url: `${endpoint.baseUrl}/api/v3/session/users`, headers: headers(endpoint), signal }),
    feedPage: (endpoint, jar, path, params, signal) =>
      send(jar, { what: `GET ${path}`, method: 'GET', url: `${endpoint.baseUrl}${path}?${new URLSearchParams(params).toString()}`, headers: headers(endpoint), signal }),
    graph: (endpoint, jar, params, series, signal) => {
      const query = [new URLSearchParams(params).toString(), ...series.map((s) => `series[]=${encodeURIComponent(s)}`)].join('&');
      return send(jar, { what: 'GET /api/v3/graph/data', method: 'GET', url: `${endpoint.baseUrl}/api/v3/graph/data?${query}`, headers: headers(endpoint), signal });
    },
  };
}

import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { pumpDay, type PumpDay } from './carelink-data.js';
import { listenLocal, readText } from './local-server.js';

/**
 * A fake Medtronic CareLink on 127.0.0.1, for the driver and end-to-end tests.
 * Pin a client to `url` (`CONNECT_CARELINK_SERVER`): the documents name the real hosts
 * (clcloud.minimed.eu, carelink-login.minimed.eu, …) and the client sends every request here.
 *
 * - Discovery (`…/discover/android/3.6` only) → the Auth0 SSO configuration → `GET /authorize`
 *   checks the PKCE request and answers 302 to `com.medtronic.carepartner:/sso?code=…&state=…`
 *   without a browser or a password (a test plays the person).
 * - `POST /oauth/token`: the code (with its verifier) or the current refresh token → tokens; every
 *   refresh rotates the refresh token (the old one is dead). `revokeAll()` plays "logged in
 *   elsewhere": every refresh answers 400 `invalid_grant`.
 * - Data calls need a live access token (401 otherwise): users/me, links, monitor/data, the M2M
 *   setting, recent uploads, `display/message` (`{metadata, patientData}`), classic `connect/data`
 *   and the M2M patient endpoint (the data object itself).
 */

export const CLIENT_ID = 'fakeClientId123';
export const REDIRECT_URI = 'com.medtronic.carepartner:/sso';
const DISCOVERY = '/connect/carepartner/v13/discover/android/3.6';

export interface FakeCareLinkOptions {
  role?: 'CARE_PARTNER_OUS' | 'PATIENT_OUS';
  username?: string;
  patients?: string[];
  /** `monitor/data`'s family: BLE families get `display/message`. */
  family?: string;
  m2m?: boolean;
  /** Pump zone, minutes east of UTC. */
  zoneMinutes?: number;
  /** Seconds an access token lives. */
  accessTtlSeconds?: number;
  uploadAgeMs?: number;
  now?: () => number;
}

export interface FakeCareLink {
  url: string;
  counters: { authorize: number; codeExchanges: number; refreshes: number; refused: number; data: number; unauthorized: number };
  requests: { method: string; path: string; status: number; body: unknown; authorization: string | undefined }[];
  issuedAccess: string[];
  issuedRefresh: string[];
  /** The refresh token that works now. */
  currentRefresh(): string | undefined;
  /** Every SG served so far, by its true UTC time. */
  served: Map<number, number>;
  /** Every pump day served, oldest first. */
  days: PumpDay[];
  revokeAll(): void;
  /** The care partner's linked patients from now on (a link added or removed in the app). */
  setPatients(usernames: string[]): void;
  /** A refresh token a `logindata.json` could hold, valid now. */
  mintRefreshToken(): string;
  close(): Promise<void>;
}

function jwt(expSeconds: number, id: string): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ exp: expSeconds, jti: id })}.fakesig`;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function startFakeCareLink(options: FakeCareLinkOptions = {}): Promise<FakeCareLink> {
  const clock = options.now ?? Date.now;
  const role = options.role ?? 'CARE_PARTNER_OUS';
  const username = options.username ?? 'cp_follower1';
  let patients = options.patients ?? ['pt_user1'];
  const ttl = options.accessTtlSeconds ?? 3600;
  const pending = new Map<string, { challenge: string; redirect: string }>();
  const access = new Map<string, number>();
  let refresh: string | undefined;

  const fake: FakeCareLink = {
    url: '',
    counters: { authorize: 0, codeExchanges: 0, refreshes: 0, refused: 0, data: 0, unauthorized: 0 },
    requests: [],
    issuedAccess: [],
    issuedRefresh: [],
    currentRefresh: () => refresh,
    served: new Map(),
    days: [],
    revokeAll: () => {
      refresh = undefined;
      access.clear();
    },
    setPatients: (usernames) => {
      patients = [...usernames];
    },
    mintRefreshToken: () => {
      refresh = `v1.refresh-${randomBytes(12).toString('hex')}`;
      fake.issuedRefresh.push(refresh);
      return refresh;
    },
    close: () => Promise.resolve(),
  };

  const tokens = (): Reply => {
    const token = jwt(Math.floor(clock() / 1000) + ttl, randomBytes(6).toString('hex'));
    access.set(token, clock() + ttl * 1000);
    fake.issuedAccess.push(token);
    fake.mintRefreshToken();
    return { status: 200, body: { access_token: token, refresh_token: refresh, id_token: 'eyJ.fake.id', scope: 'openid profile offline_access', expires_in: ttl, token_type: 'Bearer' } };
  };
  const refused = (description: string): Reply => {
    fake.counters.refused++;
    return { status: 400, body: { error: 'invalid_grant', error_description: description } };
  };

  const token = (form: URLSearchParams): Reply => {
    if (form.get('client_id') !== CLIENT_ID) return { status: 401, body: { error: 'invalid_client', error_description: 'Unknown client.' } };
    if (form.get('grant_type') === 'authorization_code') {
      fake.counters.codeExchanges++;
      const code = form.get('code') ?? '';
      const request = pending.get(code);
      pending.delete(code);
      if (!request) return refused('Invalid authorization code');
      const verifier = form.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== request.challenge) return refused('Failed to verify code verifier');
      if (form.get('redirect_uri') !== request.redirect) return refused('redirect_uri mismatch');
      return tokens();
    }
    if (form.get('grant_type') === 'refresh_token') {
      fake.counters.refreshes++;
      if (refresh === undefined || form.get('refresh_token') !== refresh) return refused('Unknown or invalid refresh token.');
      return tokens();
    }
    return { status: 400, body: { error: 'unsupported_grant_type' } };
  };

  const authorize = (query: URLSearchParams): Reply => {
    fake.counters.authorize++;
    const ok =
      query.get('client_id') === CLIENT_ID &&
      query.get('response_type') === 'code' &&
      query.get('code_challenge_method') === 'S256' &&
      query.get('redirect_uri') === REDIRECT_URI &&
      (query.get('code_challenge') ?? '').length >= 43;
    if (!ok) return { status: 400, body: { error: 'invalid_request' } };
    const code = randomBytes(16).toString('hex');
    pending.set(code, { challenge: query.get('code_challenge')!, redirect: REDIRECT_URI });
    const state = query.get('state');
    return { status: 302, headers: { location: `${REDIRECT_URI}?code=${code}${state ? `&state=${encodeURIComponent(state)}` : ''}` } };
  };

  const patientData = (): Record<string, unknown> => {
    fake.counters.data++;
    const day = pumpDay({ now: clock(), zoneMinutes: options.zoneMinutes ?? 330, uploadAgeMs: options.uploadAgeMs ?? 60_000 });
    for (const s of day.served) fake.served.set(s.date, s.sg);
    fake.days.push(day);
    return day.patientData;
  };

  const data = (method: string, path: string, body: string): Reply => {
    if (path === '/patient/users/me') return { status: 200, body: { id: '777', username, firstName: 'Care', lastName: 'Partner', country: 'GB', language: 'en', role, mfaRequired: false, needToReconsent: false } };
    if (path === '/patient/m2m/links/patients') return { status: 200, body: patients.map((p) => ({ username: p, firstName: 'Pat', lastName: p, status: 'ACTIVE' })) };
    if (path === '/patient/monitor/data') return { status: 200, body: { deviceFamily: options.family ?? 'BLE_X' } };
    if (path === '/patient/configuration/system/personal.cp.m2m.enabled') return { status: 200, body: { value: options.m2m ?? false } };
    if (path === '/patient/dataUpload/recentUploads') return { status: 200, body: { recentUploads: [] } };
    if (method === 'POST' && path === '/connect/carepartner/v13/display/message') {
      const request = JSON.parse(body || '{}') as Record<string, unknown>;
      const wanted = role.startsWith('CARE') ? { username, role: 'carepartner' } : { username, role: 'patient' };
      if (request.username !== wanted.username || request.role !== wanted.role) return { status: 400, body: { message: 'bad request' } };
      if (role.startsWith('CARE') && !patients.includes(String(request.patientId))) return { status: 400, body: { message: 'no such patient' } };
      return { status: 200, body: { metadata: {}, patientData: patientData() } };
    }
    if (path === '/patient/connect/data' || path.startsWith('/patient/m2m/connect/data/gc/patients/')) return { status: 200, body: patientData() };
    return { status: 404, body: { message: 'not found' } };
  };

  const route = (method: string, url: URL, body: string, authorization: string | undefined): Reply => {
    const path = url.pathname;
    if (path === DISCOVERY) {
      return {
        status: 200,
        body: {
          supportedCountries: [{ GB: { region: 'EU' } }, { IN: { region: 'EU' } }, { US: { region: 'US' } }],
          CP: ['EU', 'US'].map((region) => {
            const tld = region === 'EU' ? 'eu' : 'com';
            return {
              region,
              baseUrlCareLink: `https://carelink.minimed.${tld}/patient`,
              baseUrlCumulus: `https://clcloud.minimed.${tld}/connect/carepartner/v13`,
              SSOConfiguration: `https://clcloud.minimed.${tld}/legacy-sso.json`,
              Auth0SSOConfiguration: `https://clcloud.minimed.${tld}/auth0-sso.json`,
              UseSSOConfiguration: 'Auth0SSOConfiguration',
            };
          }),
          certificates: [{ host: 'carelink.minimed.eu', cert: 'MIIBfake' }],
        },
      };
    }
    if (path.includes('/discover/')) return { status: 200, body: { CP: [], note: 'legacy v2 config without Auth0' } };
    if (path === '/auth0-sso.json') {
      return {
        status: 200,
        body: {
          server: { hostname: 'carelink-login.minimed.eu', port: 443, prefix: '' },
          client: { client_id: CLIENT_ID, scope: 'openid profile offline_access', audience: 'https://example.invalid/api', redirect_uri: REDIRECT_URI },
          system_endpoints: { authorization_endpoint_path: '/authorize', token_endpoint_path: '/oauth/token' },
        },
      };
    }
    if (method === 'GET' && path === '/authorize') return authorize(url.searchParams);
    if (method === 'POST' && path === '/oauth/token') return token(new URLSearchParams(body));
    const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    const until = bearer === undefined ? undefined : access.get(bearer);
    if (until === undefined || until <= clock()) {
      fake.counters.unauthorized++;
      return { status: 401, body: { message: 'Unauthorized' } };
    }
    return data(method, path, body);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake.invalid');
      const body = await readText(req);
      const reply = route(req.method ?? 'GET', url, body, req.headers.authorization);
      fake.requests.push({ method: req.method ?? 'GET', path: url.pathname, status: reply.status, body, authorization: req.headers.authorization });
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...(reply.headers ?? {}) });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    })();
  });
  const listening = await listenLocal(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}

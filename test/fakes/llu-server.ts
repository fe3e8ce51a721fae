import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { listenLocal, readJsonBody } from './local-server.js';
import { gzipSync } from 'node:zlib';
import {
  connection,
  currentReading,
  DEFAULT_TIMING,
  fakePatient,
  graphData,
  graphTimes,
  type FakePatient,
  type Timing,
} from './llu-data.js';
import { accountIdFor, compareVersions, glucoseAt, makeToken, STEP_DURATION_MS, TICKET_DURATION_MS } from './llu-wire.js';

export { fakePatient, type FakePatient, type Timing } from './llu-data.js';

/**
 * A fake LibreLink Up cloud on 127.0.0.1, for driver and end-to-end tests.
 * Point a client at `url` (`CONNECT_LINK_UP_SERVER`). One port plays every regional host: the
 * account lives in `homeRegion`, and the next `redirects` logins with the account's e-mail are
 * answered `{"status":0,"data":{"redirect":true,"region":<homeRegion>}}` as if the client were
 * "at" another region; each such answer uses one up, after which logins succeed (a client that
 * follows the redirect to the same URL, or via `/llu/config/country`, which maps every region to
 * `url`, gets in). `redirects: 2` therefore also models a redirect loop.
 *
 * Login: bad e-mail or password → status 2 `notAuthenticated`; `lockout.failures` of those within
 * `intervalSeconds` lock the account for `lockoutSeconds` (HTTP 429 "locked", any password). Pending `steps` (`tou`, `pp`, `verifyEmail`) answer status 4 with a
 * 1-h step token until `POST /auth/continue/{tou|pp}` (also under `/llu`) with that Bearer token
 * accepts them; `verifyEmail` can only be cleared with `set({ steps: [] })`.
 * `block: 'cloudflare'` answers every call with Cloudflare's HTML 403 (error 1015),
 * `block: 'http430'` answers logins with an empty HTTP 430.
 *
 * Data calls (`/llu/connections`, `…/{patientId}/graph`, `…/logbook`) check, in order: Bearer
 * session token (else 401), `product`, `version` and `account-id` present (else 400
 * `RequiredHeaderMissing`), `account-id` = sha256(user.id) (else 401), `version` ≥ `minVersion`
 * (else 403 with status 920 and `minimumVersion`, on connections and graph alike; login never
 * checks it). Every answer carries a renewed `ticket`. Readings follow `glucoseAt` (deterministic in time) and the `now` clock: the current
 * reading moves every minute, the graph holds ~12 h at 5 min and lags by `timing.graphLagMs`.
 */

export type StepType = 'tou' | 'pp' | 'verifyEmail';

export interface FakeLluScenario {
  email: string;
  password: string;
  /** `data.user.id` and the token's `id` claim; `account-id` must be its SHA-256. */
  userId: string;
  homeRegion: string;
  /** Logins still to be answered with a redirect (see above). */
  redirects: number;
  /** Account actions pending before a login succeeds, in order. */
  steps: StepType[];
  minVersion: string;
  block: 'none' | 'cloudflare' | 'http430';
  lockout: { failures: number; intervalSeconds: number; lockoutSeconds: number };
  /** Followed patients (`/llu/connections` order). */
  patients: FakePatient[];
  timing: Timing;
  /** `glucoseItem.TrendArrow` differs from `glucoseMeasurement`'s (as in pylibrelinkup's fixture). */
  itemArrowDiffers: boolean;
  /** Lifetime of a full login's ticket (default 180 days). */
  ticketDurationMs: number;
}

export type ScenarioPatch = Partial<Omit<FakeLluScenario, 'timing'>> & { timing?: Partial<Timing> };

export interface FakeLluOptions extends ScenarioPatch {
  /** The server's clock (epoch ms): readings exist up to it; lockouts and tokens expire by it. */
  now?: () => number;
}

export interface RecordedRequest {
  method: string;
  /** Path with query string. */
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** HTTP status answered. */
  status: number;
  at: number;
  /** The address the request came from (an egress address reaches the socket). */
  from: string;
}

/** Every reading the fake put into an answer: `graph` history, `current` of a graph, `connections` current. */
export interface ServedReading {
  patientId: string;
  kind: 'graph' | 'current' | 'connections';
  at: number;
  mgdl: number;
  arrow?: number;
}

export interface FakeLluCounters {
  /** Every POST /llu/auth/login, whatever the outcome. */
  logins: number;
  loginSuccesses: number;
  badCredentials: number;
  redirects: number;
  /** Login answers that were 429 "locked". */
  locked: number;
  /** Status-4 step answers (login or continue). */
  steps: number;
  continues: number;
  /** Every GET /llu/connections, accepted or not. */
  connections: number;
  /** Every GET …/graph, accepted or not. */
  graph: number;
  logbook: number;
  /** Data calls refused with 400/401/403. */
  rejected: number;
}

export interface FakeLibreLinkUp {
  url: string;
  close(): Promise<void>;
  /** Live, mutable scenario; prefer `set`. */
  readonly scenario: FakeLluScenario;
  set(patch: ScenarioPatch): void;
  readonly counters: FakeLluCounters;
  readonly requests: RecordedRequest[];
  readonly served: ServedReading[];
  /** Dates (epoch ms) served of the given kinds, optionally for one patient. */
  servedDates(kinds: readonly ServedReading['kind'][], patientId?: string): Set<number>;
  /** Session tokens issued by logins (not renewed tickets), oldest first. */
  readonly issuedTokens: string[];
  /** Server-side invalidation of every session token: the next data call gets 401. */
  revokeTokens(): void;
  /** Locks the account now, as if `lockout.failures` bad logins had just happened. */
  lock(): void;
  /** `account-id` the server expects. */
  accountId(): string;
  now(): number;
}

interface Reply {
  status: number;
  body?: unknown;
  html?: string;
}

const json = (status: number, body: unknown): Reply => ({ status, body });
const CLOUDFLARE_HTML =
  '<!DOCTYPE html><html><head><title>Access denied | api.libreview.io used Cloudflare to restrict access</title></head>' +
  '<body><h1>Error 1015</h1><h2>You are being rate limited</h2><p>The owner of this website (api.libreview.io) has banned you temporarily from accessing this website.</p></body></html>';
const REGIONS = ['us', 'eu', 'eu2', 'de', 'fr', 'ca', 'au', 'ap', 'ae', 'jp', 'la'];
function defaults(): FakeLluScenario {
  return {
    email: 'follower@example.test',
    password: 'correct-horse',
    userId: '11111111-2222-3333-4444-555555555555',
    homeRegion: 'eu2',
    redirects: 0,
    steps: [],
    minVersion: '4.16.0',
    block: 'none',
    lockout: { failures: 3, intervalSeconds: 60, lockoutSeconds: 300 },
    patients: [fakePatient()],
    timing: { ...DEFAULT_TIMING },
    itemArrowDiffers: true,
    ticketDurationMs: TICKET_DURATION_MS,
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function bearer(headers: IncomingHttpHeaders): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header(headers, 'authorization') ?? '')?.[1];
}

/** JSON bodies are gzipped when the client asks for it, as the real API does. */
function send(res: ServerResponse, reply: Reply, gzip: boolean): void {
  if (reply.html !== undefined) {
    res.writeHead(reply.status, { 'content-type': 'text/html; charset=UTF-8' }).end(reply.html);
  } else if (reply.body === undefined) {
    res.writeHead(reply.status, { 'content-length': '0' }).end();
  } else if (gzip) {
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'gzip' }).end(gzipSync(JSON.stringify(reply.body)));
  } else {
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(reply.body));
  }
}

export async function startFakeLibreLinkUp(options: FakeLluOptions = {}): Promise<FakeLibreLinkUp> {
  const { now: clock = Date.now, ...patch } = options;
  const scenario = defaults();
  const set = (p: ScenarioPatch): void => {
    const { timing, ...rest } = p;
    Object.assign(scenario, rest);
    if (timing) scenario.timing = { ...scenario.timing, ...timing };
  };
  set(patch);

  const counters: FakeLluCounters = {
    logins: 0, loginSuccesses: 0, badCredentials: 0, redirects: 0, locked: 0, steps: 0,
    continues: 0, connections: 0, graph: 0, logbook: 0, rejected: 0,
  };
  const requests: RecordedRequest[] = [];
  const served: ServedReading[] = [];
  const issuedTokens: string[] = [];
  const tokens = new Map<string, { kind: 'session' | 'step'; step?: StepType; expiresMs: number }>();
  let failures: number[] = [];
  let lockedUntil = 0;
  let url = '';

  const claims = (expSeconds: number): Record<string, unknown> => ({
    id: scenario.userId, firstName: 'Test', lastName: 'Follower', country: 'DE', region: scenario.homeRegion,
    role: 'patient', units: 1, practices: [], c: 1, s: 'llu.ios', exp: expSeconds, iat: Math.floor(clock() / 1000),
  });

  const ticket = (): { token: string; expires: number; duration: number } => {
    const expires = Math.floor((clock() + scenario.ticketDurationMs) / 1000);
    const token = makeToken(claims(expires));
    tokens.set(token, { kind: 'session', expiresMs: expires * 1000 });
    return { token, expires, duration: scenario.ticketDurationMs };
  };

  const stepReply = (type: StepType): Reply => {
    counters.steps++;
    const expires = Math.floor((clock() + STEP_DURATION_MS) / 1000);
    const token = makeToken({ id: scenario.userId, step: type, exp: expires });
    tokens.set(token, { kind: 'step', step: type, expiresMs: expires * 1000 });
    const titleKey = { tou: 'Common.termsOfUse', pp: 'Common.privacyPolicy', verifyEmail: 'Common.verifyEmail' }[type];
    const componentName = type === 'verifyEmail' ? 'VerifyEmail' : 'AcceptDocument';
    return json(200, {
      status: 4,
      data: {
        step: { type, componentName, props: { reaccept: true, titleKey, type } },
        user: { accountType: 'pat', country: 'DE', uiLanguage: 'de-DE' },
        authTicket: { token, expires, duration: STEP_DURATION_MS },
      },
    });
  };

  const success = (): Reply => {
    counters.loginSuccesses++;
    failures = [];
    const authTicket = ticket();
    issuedTokens.push(authTicket.token);
    const user = {
      id: scenario.userId, firstName: 'Test', lastName: 'Follower', email: scenario.email, country: 'DE',
      uiLanguage: 'de-DE', communicationLanguage: 'de-DE', accountType: 'pat', uom: '1', dateFormat: '2', timeFormat: '2',
      emailDay: [1], system: { messages: {} }, details: {}, created: 1_700_000_000, lastLogin: Math.floor(clock() / 1000),
      programs: {}, dateOfBirth: 0, practices: {}, devices: {}, consents: { llu: { policyAccept: 1_700_000_000, touAccept: 1_700_000_000 } },
    };
    return json(200, {
      status: 0,
      data: { user, messages: { unread: 0 }, notifications: { unresolved: 0 }, authTicket, invitations: null, trustedDeviceToken: '' },
    });
  };

  const login = (body: unknown): Reply => {
    counters.logins++;
    if (scenario.block === 'http430') return { status: 430 };
    const t = clock();
    if (lockedUntil > t) {
      counters.locked++;
      const { failures: f, intervalSeconds: interval, lockoutSeconds: lockout } = scenario.lockout;
      return json(429, { status: 429, data: { code: 60, data: { failures: f, interval, lockout }, message: 'locked' } });
    }
    const { email, password } = (typeof body === 'object' && body !== null ? body : {}) as { email?: unknown; password?: unknown };
    const knownEmail = typeof email === 'string' && email.toLowerCase() === scenario.email.toLowerCase();
    if (knownEmail && scenario.redirects > 0) {
      scenario.redirects--;
      counters.redirects++;
      return json(200, { status: 0, data: { redirect: true, region: scenario.homeRegion } });
    }
    if (!knownEmail || password !== scenario.password) {
      counters.badCredentials++;
      failures = [...failures.filter((f) => f > t - scenario.lockout.intervalSeconds * 1000), t];
      if (failures.length >= scenario.lockout.failures) {
        lockedUntil = t + scenario.lockout.lockoutSeconds * 1000;
        failures = [];
      }
      return json(200, { status: 2, error: { message: 'notAuthenticated' } });
    }
    const step = scenario.steps[0];
    return step === undefined ? success() : stepReply(step);
  };

  const continueStep = (type: 'tou' | 'pp', headers: IncomingHttpHeaders): Reply => {
    counters.continues++;
    const entry = tokens.get(bearer(headers) ?? '');
    if (!entry || entry.kind !== 'step' || entry.expiresMs <= clock()) return json(401, { message: 'Unauthorized' });
    if (scenario.steps[0] === type) scenario.steps = scenario.steps.slice(1);
    const next = scenario.steps[0];
    return next === undefined ? success() : stepReply(next);
  };

  /** Header and token checks of every data call, in the documented order; `undefined` = accepted. */
  const refuse = (headers: IncomingHttpHeaders): Reply | undefined => {
    const entry = tokens.get(bearer(headers) ?? '');
    if (!entry || entry.kind !== 'session' || entry.expiresMs <= clock()) return json(401, { message: 'Unauthorized' });
    const accountId = header(headers, 'account-id');
    const version = header(headers, 'version');
    if (!header(headers, 'product') || !version || !accountId) return json(400, { message: 'RequiredHeaderMissing' });
    if (accountId !== accountIdFor(scenario.userId)) return json(401, { message: 'Unauthorized' });
    if (compareVersions(version, scenario.minVersion) < 0) return json(403, { status: 920, data: { minimumVersion: scenario.minVersion } });
    return undefined;
  };

  const recordCurrent = (p: FakePatient, kind: 'current' | 'connections'): void => {
    const cur = currentReading(p, clock(), scenario.timing);
    served.push({ patientId: p.patientId, kind, at: cur.at, mgdl: cur.mgdl, arrow: cur.arrow });
  };

  const data = (what: 'connections' | 'graph' | 'logbook', patientId: string, headers: IncomingHttpHeaders): Reply => {
    counters[what]++;
    const refused = refuse(headers);
    if (refused) {
      counters.rejected++;
      return refused;
    }
    const t = clock();
    if (what === 'connections') {
      for (const p of scenario.patients) recordCurrent(p, 'connections');
      const list = scenario.patients.map((p) => connection(p, t, scenario.timing, scenario.itemArrowDiffers));
      return json(200, { status: 0, data: list, ticket: ticket() });
    }
    const patient = scenario.patients.find((p) => p.patientId === patientId);
    if (!patient) return json(200, { status: 4, error: { message: 'couldNotLoadPatient' } });
    if (what === 'logbook') return json(200, { status: 0, data: [], ticket: ticket() });
    recordCurrent(patient, 'current');
    for (const at of graphTimes(t, scenario.timing)) {
      served.push({ patientId: patient.patientId, kind: 'graph', at, mgdl: glucoseAt(at, patient.seed) });
    }
    return json(200, { status: 0, data: graphData(patient, t, scenario.timing, scenario.itemArrowDiffers), ticket: ticket() });
  };

  const route = (method: string, path: string, query: URLSearchParams, headers: IncomingHttpHeaders, body: unknown): Reply => {
    if (scenario.block === 'cloudflare') return { status: 403, html: CLOUDFLARE_HTML };
    if (method === 'POST' && path === '/llu/auth/login') return login(body);
    const cont = /^(?:\/llu)?\/auth\/continue\/(tou|pp)$/.exec(path);
    if (method === 'POST' && cont) return continueStep(cont[1] as 'tou' | 'pp', headers);
    if (method === 'GET' && path === '/llu/config/country') {
      const regionalMap = Object.fromEntries(REGIONS.map((r) => [r, { lslApi: url, socketHub: url }]));
      return json(200, { status: 0, data: { regionalMap, country: query.get('country') ?? '' } });
    }
    if (method === 'GET' && path === '/llu/connections') return data('connections', '', headers);
    const m = /^\/llu\/connections\/([^/]+)\/(graph|logbook)$/.exec(path);
    if (method === 'GET' && m) return data(m[2] as 'graph' | 'logbook', decodeURIComponent(m[1] ?? ''), headers);
    return json(404, { message: 'NotFound' });
  };

  const server = createServer((req, res) => {
    void (async () => {
      const target = new URL(req.url ?? '/', 'http://fake.invalid');
      const body = await readJsonBody(req);
      const method = req.method ?? 'GET';
      const record: RecordedRequest = { method, path: target.pathname + target.search, headers: { ...req.headers }, body, status: 0, at: clock(), from: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '') };
      requests.push(record);
      let reply: Reply;
      try {
        reply = route(method, target.pathname, target.searchParams, req.headers, body);
      } catch (err) {
        reply = json(500, { message: err instanceof Error ? err.message : String(err) });
      }
      record.status = reply.status;
      send(res, reply, /\bgzip\b/.test(header(req.headers, 'accept-encoding') ?? ''));
    })();
  });
  const listening = await listenLocal(server);
  url = listening.url;

  return {
    url,
    close: listening.close,
    scenario,
    set,
    counters,
    requests,
    served,
    servedDates: (kinds, patientId) =>
      new Set(served.filter((s) => kinds.includes(s.kind) && (patientId === undefined || s.patientId === patientId)).map((s) => s.at)),
    issuedTokens,
    revokeTokens: () => tokens.clear(),
    lock: () => {
      lockedUntil = clock() + scenario.lockout.lockoutSeconds * 1000;
    },
    accountId: () => accountIdFor(scenario.userId),
    now: clock,
  };
}

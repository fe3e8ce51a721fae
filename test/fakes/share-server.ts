import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { listenLocal, readJsonBody } from './local-server.js';

/**
 * A fake Dexcom Share server on 127.0.0.1, for driver and end-to-end tests.
 * Point a client at `url` (`CONNECT_SHARE_SERVER`); paths live under `/ShareWebServices/Services`.
 *
 * - `General/AuthenticatePublisherAccount` → the account id; `General/LoginPublisherAccountById` →
 *   a fresh session id. Wrong name, password or application id → HTTP 500 `AccountPasswordInvalid`
 *   (as a wrong region does); `maxFailures` failures in a row lock the account
 *   (`SSO_AuthenticateMaxAttemptsExceeded`, any password) until `unlock()`.
 * - `Publisher/ReadPublisherLatestGlucoseValues?sessionId&minutes&maxCount` → readings newest first,
 *   one per 5 min on `phaseMs`, each available `lagMs` after its time; unknown session → 500
 *   `SessionIdNotFound`; `empty` → `[]` (Share off / no follower).
 * Values follow `glucoseAt` (deterministic in time); every 7th reading is the LOW sentinel 39.
 */

export const SERVICES = '/ShareWebServices/Services';
export const US_APP = 'd89443d2-327c-4a6f-89e5-496bbb0317db';
const FIVE_MIN = 5 * 60_000;
const TRENDS = ['Flat', 'FortyFiveUp', 'SingleUp', 'FortyFiveDown', 'SingleDown', 'Flat', 'Flat'];

export interface FakeShareOptions {
  accountName?: string;
  password?: string;
  applicationId?: string;
  maxFailures?: number;
  phaseMs?: number;
  lagMs?: number;
  empty?: boolean;
  now?: () => number;
}

export interface ServedReading {
  date: number;
  value: number;
}

export interface FakeShare {
  url: string;
  accountName: string;
  password: string;
  accountId: string;
  counters: { authenticate: number; loginById: number; readings: number; failures: number };
  requests: { path: string; query: URLSearchParams; status: number; body: unknown }[];
  served: ServedReading[];
  issuedSessions: string[];
  set(patch: Partial<Pick<FakeShareOptions, 'empty' | 'password'>>): void;
  revokeSessions(): void;
  close(): Promise<void>;
}

export function tickAtOrBefore(ms: number, phaseMs = 0): number {
  return Math.floor((ms - phaseMs) / FIVE_MIN) * FIVE_MIN + phaseMs;
}

export function glucoseAt(ms: number): number {
  const k = Math.round(ms / FIVE_MIN);
  if (k % 7 === 0) return 39;
  return 120 + Math.round(40 * Math.sin(k / 9));
}

function fault(code: string, message: string): { status: number; body: unknown } {
  return { status: 500, body: { Code: code, Message: message, SubCode: `<OnlineException ErrorCode="${code}" />`, TypeName: 'FaultException' } };
}

export async function startFakeShare(options: FakeShareOptions = {}): Promise<FakeShare> {
  const clock = options.now ?? Date.now;
  const state = { empty: options.empty ?? false, password: options.password ?? 'share-password', lockedUntilUnlock: false };
  const accountName = options.accountName ?? 'publisher@example.test';
  const applicationId = options.applicationId ?? US_APP;
  const accountId = randomUUID();
  const sessions = new Set<string>();
  const phaseMs = options.phaseMs ?? 0;
  const lagMs = options.lagMs ?? 0;
  const maxFailures = options.maxFailures ?? 3;

  const fake: FakeShare = {
    url: '',
    accountName,
    password: state.password,
    accountId,
    counters: { authenticate: 0, loginById: 0, readings: 0, failures: 0 },
    requests: [],
    served: [],
    issuedSessions: [],
    set: (patch) => {
      if (patch.empty !== undefined) state.empty = patch.empty;
      if (patch.password !== undefined) state.password = patch.password;
    },
    revokeSessions: () => sessions.clear(),
    close: () => Promise.resolve(),
  };

  const credentialsOk = (body: Record<string, unknown>, idField: 'accountName' | 'accountId'): { status: number; body: unknown } | undefined => {
    if (state.lockedUntilUnlock) return fault('SSO_AuthenticateMaxAttemptsExceeded', 'Maximum authentication attempts exceeded');
    const who = idField === 'accountName' ? accountName : accountId;
    if (body[idField] === who && body.password === state.password && body.applicationId === applicationId) {
      fake.counters.failures = 0;
      return undefined;
    }
    fake.counters.failures++;
    if (fake.counters.failures >= maxFailures) state.lockedUntilUnlock = true;
    return fault('AccountPasswordInvalid', 'Publisher account password failed');
  };

  const readings = (query: URLSearchParams): { status: number; body: unknown } => {
    fake.counters.readings++;
    const sessionId = query.get('sessionId') ?? query.get('sessionID') ?? '';
    if (!sessions.has(sessionId)) return fault('SessionIdNotFound', `Failed to find session object. [SessionId = ${sessionId}]`);
    if (state.empty) return { status: 200, body: [] };
    const minutes = Math.min(1440, Number(query.get('minutes') ?? 1440));
    const maxCount = Math.min(288, Number(query.get('maxCount') ?? 288));
    const now = clock();
    const out: unknown[] = [];
    for (let t = tickAtOrBefore(now - lagMs, phaseMs); t > now - minutes * 60_000 && out.length < maxCount; t -= FIVE_MIN) {
      const value = glucoseAt(t);
      fake.served.push({ date: t, value });
      out.push({ WT: `Date(${t})`, ST: `Date(${t})`, DT: `Date(${t}+0100)`, Value: value, Trend: TRENDS[Math.abs(Math.round(t / FIVE_MIN)) % TRENDS.length] });
    }
    return { status: 200, body: out };
  };

  const route = (method: string, path: string, query: URLSearchParams, body: unknown): { status: number; body: unknown } => {
    if (method !== 'POST' || !path.startsWith(`${SERVICES}/`)) return { status: 404, body: { Message: 'not found' } };
    const op = path.slice(SERVICES.length + 1);
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    if (op === 'General/AuthenticatePublisherAccount') {
      fake.counters.authenticate++;
      return credentialsOk(fields, 'accountName') ?? { status: 200, body: accountId };
    }
    if (op === 'General/LoginPublisherAccountById') {
      fake.counters.loginById++;
      const refused = credentialsOk(fields, 'accountId');
      if (refused) return refused;
      const id = randomUUID();
      sessions.add(id);
      fake.issuedSessions.push(id);
      return { status: 200, body: id };
    }
    if (op === 'Publisher/ReadPublisherLatestGlucoseValues') return readings(query);
    return { status: 404, body: { Message: 'not found' } };
  };

  const server = createServer((req, res) => {
    void (async () => {
      const target = new URL(req.url ?? '/', 'http://fake.invalid');
      const body = await readJsonBody(req);
      const reply = route(req.method ?? 'GET', target.pathname, target.searchParams, body);
      fake.requests.push({ path: target.pathname, query: target.searchParams, status: reply.status, body });
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(reply.body));
    })();
  });
  const listening = await listenLocal(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}

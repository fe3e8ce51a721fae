import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { listenLocal } from './local-server.js';

/**
 * A fake Glooko server on 127.0.0.1, for driver and end-to-end tests. Point a
 * client at `url` (`CONNECT_GLOOKO_SERVER`).
 *
 * - `POST /api/v2/users/sign_in` → `Set-Cookie: _logbook-web_session=…` and `userLogin.glookoCode`
 *   (unless `codeInSignIn: false`); wrong e-mail or password → 401; `twoFactor` → `twoFaRequired`;
 *   `csrf: true` → 422 InvalidAuthenticityToken, so only the web form (`GET /users/sign_in` for the
 *   token, `POST /users/sign_in?id=login_form` → 302) signs in.
 * - `GET /api/v3/session/users` → the patient code, `timezone` and `meterUnits`.
 * - `/api/v2/cgm/egvs` and the pump/food/event feeds page by `(lastUpdatedAt, lastGuid)`, `pageSize`
 *   records at a time; every time is the `timezone`'s wall clock with a fake `Z`; a record is
 *   "uploaded" `uploadLagMs` after it happened. `egvs: 'empty'` serves an empty CGM feed and the
 *   readings only through `/api/v3/graph/data`.
 * - Data calls without a live session cookie → 401. `fail(path, status, times)` answers the next
 *   `times` calls to a path with `status` (422/432/429 back-off tests).
 */

const FIVE_MIN = 5 * 60_000;
const HOUR = 60 * 60_000;
const TRENDS = ['Flat', 'FortyFiveUp', 'SingleUp', 'FortyFiveDown', 'SingleDown', 'Flat', 'NotComputable'];

export interface FakeGlookoOptions {
  email?: string;
  password?: string;
  glookoCode?: string;
  timezone?: string;
  meterUnits?: 'mgdl' | 'mmoll';
  codeInSignIn?: boolean;
  twoFactor?: boolean;
  csrf?: boolean;
  egvs?: 'feed' | 'empty';
  pageSize?: number;
  /** Hours of history the account holds. */
  historyHours?: number;
  uploadLagMs?: number;
  now?: () => number;
}

export interface ServedReading {
  /** Real UTC epoch ms. */
  date: number;
  sgv: number;
  guid: string;
}

export interface ServedTreatment {
  date: number;
  guid: string;
  eventType: string;
}

interface Row {
  date: number;
  updatedAt: number;
  guid: string;
  body: Record<string, unknown>;
}

export interface FakeGlooko {
  url: string;
  email: string;
  password: string;
  glookoCode: string;
  counters: { signIn: number; webSignIn: number; sessionUsers: number; egvs: number; graph: number; feeds: number; unauthorized: number };
  requests: { method: string; path: string; query: URLSearchParams; status: number; body: unknown; cookie: string | undefined }[];
  /** The most requests ever in flight at once. */
  maxInFlight: number;
  readings(): ServedReading[];
  treatments(): ServedTreatment[];
  fail(path: string, status: number, times: number): void;
  /** A meal bolus dated `date` that the pump uploads only now (a pump synced days late). */
  uploadLateBolus(date: number): void;
  revokeSessions(): void;
  close(): Promise<void>;
}

/** Glucose as a function of time, so tests know what each reading must be. */
export function glookoGlucoseAt(ms: number): number {
  return 120 + Math.round(40 * Math.sin(Math.round(ms / FIVE_MIN) / 9));
}

/** Minutes east of UTC in `zone` at `ms`, computed independently of the driver's code. */
function offsetMinutes(zone: string, ms: number): number {
  const local = new Date(new Date(ms).toLocaleString('en-US', { timeZone: zone }));
  const utc = new Date(new Date(ms).toLocaleString('en-US', { timeZone: 'UTC' }));
  return Math.round((local.getTime() - utc.getTime()) / 60_000);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeGlooko(options: FakeGlookoOptions = {}): Promise<FakeGlooko> {
  const clock = options.now ?? Date.now;
  const zone = options.timezone ?? 'Europe/Berlin';
  const email = options.email ?? 'user@example.test';
  const password = options.password ?? 'glooko-password';
  const glookoCode = options.glookoCode ?? 'test-patient-1234';
  const pageSize = options.pageSize ?? 500;
  const historyMs = (options.historyHours ?? 24) * HOUR;
  const uploadLag = options.uploadLagMs ?? 60_000;
  const sessions = new Set<string>();
  const formTokens = new Set<string>();
  const failures = new Map<string, { status: number; times: number }>();
  const late: Row[] = [];
  const wall = (ms: number): string => new Date(ms + offsetMinutes(zone, ms) * 60_000).toISOString();
  const start = Math.floor((clock() - historyMs) / FIVE_MIN) * FIVE_MIN;
  let inFlight = 0;

  const fake: FakeGlooko = {
    url: '',
    email,
    password,
    glookoCode,
    counters: { signIn: 0, webSignIn: 0, sessionUsers: 0, egvs: 0, graph: 0, feeds: 0, unauthorized: 0 },
    requests: [],
    maxInFlight: 0,
    readings: () => cgmRows().map((r) => ({ date: r.date, sgv: glookoGlucoseAt(r.date), guid: r.guid })),
    treatments: () => [...treatmentRows().values()].flatMap((rows) => rows.map((r) => ({ date: r.date, guid: r.guid, eventType: String(r.body.expect) }))),
    fail: (path, status, times) => failures.set(path, { status, times }),
    uploadLateBolus: (date) =>
      late.push({ date, updatedAt: clock(), guid: `late-${date}`, body: { pumpTimestamp: wall(date), softDeleted: false, insulinDelivered: 1.5, carbsInput: 20, expect: 'Meal Bolus' } }),
    revokeSessions: () => sessions.clear(),
    close: () => Promise.resolve(),
  };

  /** Readings every 5 min from `start` to now, each present once uploaded. */
  function cgmRows(): Row[] {
    const rows: Row[] = [];
    for (let t = start; t + uploadLag <= clock(); t += FIVE_MIN) {
      const k = Math.round(t / FIVE_MIN);
      rows.push({
        date: t,
        updatedAt: t + uploadLag,
        guid: `egv-${t}`,
        body: { displayTime: wall(t), glucoseValue: glookoGlucoseAt(t) * 100, trendArrow: TRENDS[k % TRENDS.length], calculated: false, softDeleted: false },
      });
      // A calculated copy and a deleted one now and then: neither may be stored.
      if (k % 11 === 0) rows.push({ date: t, updatedAt: t + uploadLag, guid: `calc-${t}`, body: { displayTime: wall(t + 60_000), glucoseValue: 5000, calculated: true, softDeleted: false } });
      if (k % 13 === 0) rows.push({ date: t, updatedAt: t + uploadLag, guid: `del-${t}`, body: { displayTime: wall(t + 120_000), glucoseValue: 6000, calculated: false, softDeleted: true } });
    }
    return rows;
  }

  /** A meal bolus, a scheduled basal and a food every 3 h, a pod change every 12 h. */
  function treatmentRows(): Map<string, Row[]> {
    const feeds = new Map<string, Row[]>([
      ['normalBoluses', []],
      ['scheduledBasals', []],
      ['foods', []],
      ['events', []],
    ]);
    const first = Math.ceil(start / (3 * HOUR)) * 3 * HOUR;
    for (let t = first; t + uploadLag <= clock(); t += 3 * HOUR) {
      const base = { pumpTimestamp: wall(t), pumpTimestampUtcOffset: '+00:00', softDeleted: false };
      feeds.get('normalBoluses')!.push({ date: t, updatedAt: t + uploadLag, guid: `bolus-${t}`, body: { ...base, insulinDelivered: 2.5, carbsInput: 30, expect: 'Meal Bolus' } });
      feeds.get('scheduledBasals')!.push({ date: t, updatedAt: t + uploadLag, guid: `basal-${t}`, body: { ...base, rate: 0.85, duration: 10800, expect: 'Temp Basal' } });
      feeds.get('foods')!.push({ date: t + HOUR, updatedAt: t + HOUR + uploadLag, guid: `food-${t}`, body: { ...base, pumpTimestamp: wall(t + HOUR), carbs: 12, name: 'apple', expect: 'Carb Correction' } });
      if (t % (12 * HOUR) === 0) feeds.get('events')!.push({ date: t, updatedAt: t + uploadLag, guid: `pod-${t}`, body: { ...base, type: 'pod_activated', expect: 'Site Change' } });
    }
    feeds.get('normalBoluses')!.push(...late);
    for (const [key, rows] of feeds) feeds.set(key, rows.filter((r) => r.updatedAt <= clock()));
    return feeds;
  }

  function page(key: string, rows: Row[], query: URLSearchParams): unknown {
    const since = Date.parse(query.get('lastUpdatedAt') ?? '1970-01-01T00:00:00Z');
    const lastGuid = query.get('lastGuid') ?? '';
    const limit = Math.min(pageSize, Number(query.get('limit') ?? 500));
    const ordered = [...rows].sort((a, b) => a.updatedAt - b.updatedAt || a.guid.localeCompare(b.guid));
    const after = ordered.filter((r) => r.updatedAt > since || (r.updatedAt === since && r.guid.localeCompare(lastGuid) > 0 && lastGuid !== '00000000-0000-0000-0000-000000000000'));
    const slice = after.slice(0, limit);
    const last = slice[slice.length - 1];
    const stripped = slice.map((r) => {
      const { expect: _expect, ...body } = r.body;
      return { guid: r.guid, updatedAt: new Date(r.updatedAt).toISOString(), ...body };
    });
    return {
      [key]: stripped,
      lastPage: after.length <= limit,
      lastUpdatedAt: last ? new Date(last.updatedAt).toISOString() : query.get('lastUpdatedAt'),
      lastGuid: last ? last.guid : lastGuid,
    };
  }

  function graph(query: URLSearchParams): unknown {
    const from = Date.parse(query.get('startDate') ?? '');
    const to = Date.parse(query.get('endDate') ?? '');
    const wanted = query.getAll('series[]');
    const series: Record<string, unknown[]> = { cgmHigh: [], cgmNormal: [], cgmLow: [] };
    for (const r of cgmRows()) {
      if (!r.guid.startsWith('egv-')) continue;
      const shown = Date.parse(wall(r.date));
      if (shown < from || shown > to) continue;
      const sgv = glookoGlucoseAt(r.date);
      const name = sgv > 180 ? 'cgmHigh' : sgv < 70 ? 'cgmLow' : 'cgmNormal';
      series[name]!.push({ x: shown / 1000, y: options.meterUnits === 'mmoll' ? Math.round((sgv / 18.0182) * 10) / 10 : sgv, value: sgv * 100, timestamp: wall(r.date), calculated: false });
    }
    return { series: Object.fromEntries(Object.entries(series).filter(([k]) => wanted.includes(k))) };
  }

  const FEED_PATHS: Record<string, string> = {
    '/api/v2/pumps/normal_boluses': 'normalBoluses',
    '/api/v2/pumps/scheduled_basals': 'scheduledBasals',
    '/api/v2/foods': 'foods',
    '/api/v2/pumps/events': 'events',
    '/api/v2/pumps/extended_boluses': 'extendedBoluses',
    '/api/v2/pumps/injection_boluses': 'injectionBoluses',
    '/api/v2/pumps/temporary_basals': 'temporaryBasals',
    '/api/v2/pumps/suspend_basals': 'suspendBasals',
    '/api/v2/cgm/carbs_events': 'carbsEvents',
  };

  const newSession = (): string => {
    const id = randomBytes(12).toString('base64url');
    sessions.add(id);
    return `_logbook-web_session=${id}; path=/; HttpOnly`;
  };
  const hasSession = (cookie: string | undefined): boolean => {
    const id = /_logbook-web_session=([^;]+)/.exec(cookie ?? '')?.[1];
    return id !== undefined && sessions.has(id);
  };

  type Reply = { status: number; body: unknown; headers?: Record<string, string | string[]> };

  function route(method: string, path: string, query: URLSearchParams, text: string, cookie: string | undefined): Reply {
    const failure = failures.get(path);
    if (failure && failure.times > 0) {
      failure.times--;
      return { status: failure.status, body: { error: `status ${failure.status}` } };
    }
    if (method === 'POST' && path === '/api/v2/users/sign_in') {
      fake.counters.signIn++;
      const body = JSON.parse(text || '{}') as { userLogin?: { email?: string; password?: string } };
      if (options.csrf) return { status: 422, body: { error: 'InvalidAuthenticityToken' } };
      if (body.userLogin?.email !== email || body.userLogin.password !== password) return { status: 401, body: { error: 'Invalid email or password.' } };
      if (options.twoFactor) return { status: 200, body: { twoFaRequired: true } };
      const userLogin = options.codeInSignIn === false ? { email } : { email, glookoCode };
      return { status: 200, body: { userLogin }, headers: { 'set-cookie': newSession() } };
    }
    if (method === 'GET' && path === '/users/sign_in') {
      const token = randomBytes(16).toString('base64url');
      formTokens.add(token);
      const html = `<html><head><meta name="csrf-token" content="${token}"></head><body><form action="/users/sign_in" method="post"><input type="hidden" name="authenticity_token" value="${token}"></form></body></html>`;
      return { status: 200, body: html, headers: { 'set-cookie': '_logbook-web_session=pre; path=/; HttpOnly', 'content-type': 'text/html' } };
    }
    if (method === 'POST' && path === '/users/sign_in') {
      fake.counters.webSignIn++;
      const form = new URLSearchParams(text);
      if (!formTokens.delete(form.get('authenticity_token') ?? '')) return { status: 422, body: 'InvalidAuthenticityToken' };
      if (form.get('user[email]') !== email || form.get('user[password]') !== password) return { status: 200, body: '<form action="/users/sign_in"></form>', headers: { 'content-type': 'text/html' } };
      return { status: 302, body: '', headers: { location: '/', 'set-cookie': newSession() } };
    }
    if (!hasSession(cookie)) {
      fake.counters.unauthorized++;
      return { status: 401, body: { error: 'You need to sign in or sign up before continuing.' } };
    }
    if (method === 'GET' && path === '/api/v3/session/users') {
      fake.counters.sessionUsers++;
      return { status: 200, body: { currentUser: { id: 'u-1', glookoCode, meterUnits: options.meterUnits ?? 'mgdl', timezone: zone } } };
    }
    if (query.get('patient') !== glookoCode) return { status: 403, body: { error: 'not your patient' } };
    if (method === 'GET' && path === '/api/v2/cgm/egvs') {
      fake.counters.egvs++;
      return { status: 200, body: page('egvs', options.egvs === 'empty' ? [] : cgmRows(), query) };
    }
    if (method === 'GET' && path === '/api/v3/graph/data') {
      fake.counters.graph++;
      return { status: 200, body: graph(query) };
    }
    const key = FEED_PATHS[path];
    if (method === 'GET' && key) {
      fake.counters.feeds++;
      return { status: 200, body: page(key, treatmentRows().get(key) ?? [], query) };
    }
    return { status: 404, body: { error: 'not found' } };
  }

  const server = createServer((req, res) => {
    inFlight++;
    fake.maxInFlight = Math.max(fake.maxInFlight, inFlight);
    void (async () => {
      // Raw URL: `series[]` must arrive literally, as the web app sends it.
      const target = new URL(req.url ?? '/', 'http://fake.invalid');
      const text = await readBody(req);
      // Hold each answer a moment so concurrent requests overlap and can be counted.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const reply = route(req.method ?? 'GET', target.pathname, target.searchParams, text, req.headers.cookie);
      fake.requests.push({ method: req.method ?? 'GET', path: target.pathname, query: target.searchParams, status: reply.status, body: text, cookie: req.headers.cookie });
      const isText = typeof reply.body === 'string';
      res.writeHead(reply.status, { 'content-type': isText ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8', ...reply.headers });
      res.end(isText ? (reply.body as string) : JSON.stringify(reply.body));
      inFlight--;
    })();
  });
  const listening = await listenLocal(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}

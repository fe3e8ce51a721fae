import { afterEach, describe, expect, it } from 'vitest';
import { fakePatient, startFakeLibreLinkUp, type FakeLibreLinkUp, type FakeLluOptions } from './llu-server.js';
import { accountIdFor, compareVersions, decodeToken, lluTimestamp, parseLluTimestamp, toMmol } from './llu-wire.js';

/** Self-tests of the fake LibreLink Up server over real HTTP. */

const MIN = 60_000;
const WIRE_TS = /^\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d{2}:\d{2} (AM|PM)$/;

interface GlucoseItem {
  FactoryTimestamp: string;
  Timestamp: string;
  type: number;
  ValueInMgPerDl: number;
  Value: number;
  GlucoseUnits: number;
  TrendArrow?: number;
}
interface Ticket {
  token: string;
  expires: number;
  duration: number;
}
interface Connection {
  firstName: string;
  lastName: string;
  patientId: string;
  uom: number;
  sensor: Record<string, unknown>;
  glucoseMeasurement: GlucoseItem;
  glucoseItem: GlucoseItem;
}
/** The fields these tests read; which ones are present depends on the call. */
interface LluBody {
  status: number;
  message?: string;
  error?: { message: string };
  ticket: Ticket;
  data: {
    user: { id: string };
    authTicket: Ticket;
    step: { type: string };
    regionalMap: Record<string, { lslApi: string }>;
    connection: Connection;
    graphData: GlucoseItem[];
    activeSensors: { sensor: { sn: string } }[];
  };
}
interface Answer {
  status: number;
  body: LluBody;
  text: string;
}

/** `data` of `/llu/connections` is a list. */
const connectionsOf = (a: Answer): Connection[] => a.body.data as unknown as Connection[];

let servers: FakeLibreLinkUp[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(options: FakeLluOptions = {}): Promise<FakeLibreLinkUp> {
  const llu = await startFakeLibreLinkUp(options);
  servers.push(llu);
  return llu;
}

/** A controllable clock: `clock.t` is the fake's now. */
function manualClock(start = Date.UTC(2026, 10, 22, 10, 17, 40)): { t: number; now: () => number } {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

async function call(llu: FakeLibreLinkUp, method: string, path: string, init: { headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const res = await fetch(`${llu.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body: body as LluBody, text };
}

const login = (llu: FakeLibreLinkUp, password = 'correct-horse', email = 'follower@example.test') =>
  call(llu, 'POST', '/llu/auth/login', { headers: { product: 'llu.ios', version: '4.16.0' }, body: { email, password } });

function app(llu: FakeLibreLinkUp, token: string, over: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = { product: 'llu.ios', version: '4.16.0', 'account-id': llu.accountId(), authorization: `Bearer ${token}`, ...over };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

async function token(llu: FakeLibreLinkUp): Promise<string> {
  const res = await login(llu);
  expect(res.body.status).toBe(0);
  return res.body.data.authTicket.token;
}

describe('wire helpers', () => {
  it('formats and parses the LLU timestamp: M/D/YYYY h:mm:ss AM, UTC, no zero padding', () => {
    expect(lluTimestamp(Date.UTC(2022, 4, 21, 13, 38, 50))).toBe('5/21/2022 1:38:50 PM');
    expect(lluTimestamp(Date.UTC(2026, 10, 22, 0, 5, 0))).toBe('11/22/2026 12:05:00 AM');
    expect(lluTimestamp(Date.UTC(2026, 0, 2, 12, 0, 9))).toBe('1/2/2026 12:00:09 PM');
    expect(lluTimestamp(Date.UTC(2026, 10, 22, 23, 30, 0), 60)).toBe('11/23/2026 12:30:00 AM');
    for (const ms of [Date.UTC(2022, 4, 21, 13, 38, 50), Date.UTC(2026, 10, 22, 0, 5, 0), Date.UTC(2026, 0, 2, 12, 0, 9)]) {
      expect(parseLluTimestamp(lluTimestamp(ms))).toBe(ms);
    }
    expect(parseLluTimestamp('2026-11-22T10:00:00Z')).toBeUndefined();
  });

  it('hashes the user id for account-id and compares versions numerically', () => {
    expect(accountIdFor('11111111-2222-3333-4444-555555555555')).toMatch(/^[0-9a-f]{64}$/);
    expect(compareVersions('4.12.0', '4.16.0')).toBe(-1);
    expect(compareVersions('4.16', '4.16.0')).toBe(0);
    expect(compareVersions('4.17.0', '4.16.0')).toBe(1);
    expect(compareVersions('4.9.0', '4.16.0')).toBe(-1);
  });
});

describe('fake LibreLink Up: login', () => {
  it('answers the success shape with a JWT-ish 180-day ticket and user.id', async () => {
    const clock = manualClock();
    const llu = await start({ now: clock.now });
    const res = await login(llu);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe(0);
    expect(res.body.data.user.id).toBe('11111111-2222-3333-4444-555555555555');
    const ticket = res.body.data.authTicket;
    expect(ticket.duration).toBe(15_552_000_000);
    expect(ticket.token.split('.')).toHaveLength(3);
    const claims = decodeToken(ticket.token);
    expect(claims?.id).toBe(res.body.data.user.id);
    expect(claims?.exp).toBe(ticket.expires);
    expect(ticket.expires).toBe(Math.floor((clock.t + 15_552_000_000) / 1000));
    expect(llu.counters).toMatchObject({ logins: 1, loginSuccesses: 1 });
    expect(llu.issuedTokens).toEqual([ticket.token]);
  });

  it('refuses bad credentials with status 2, then locks after 3 failures in 60 s, for 300 s', async () => {
    const clock = manualClock();
    const llu = await start({ now: clock.now });
    for (let i = 0; i < 3; i++) {
      const bad = await login(llu, 'wrong');
      expect(bad.status).toBe(200);
      expect(bad.body).toEqual({ status: 2, error: { message: 'notAuthenticated' } });
      clock.t += 10_000;
    }
    const locked = await login(llu);
    expect(locked.status).toBe(429);
    expect(locked.body).toEqual({ status: 429, data: { code: 60, data: { failures: 3, interval: 60, lockout: 300 }, message: 'locked' } });
    clock.t += 280_000;
    expect((await login(llu)).status).toBe(429);
    clock.t += 10_000;
    expect((await login(llu)).body.status).toBe(0);
    expect(llu.counters).toMatchObject({ logins: 6, badCredentials: 3, locked: 2, loginSuccesses: 1 });
  });

  it('does not lock when the failures are spread over more than 60 s', async () => {
    const clock = manualClock();
    const llu = await start({ now: clock.now });
    for (let i = 0; i < 4; i++) {
      expect((await login(llu, 'wrong')).body.status).toBe(2);
      clock.t += 31_000;
    }
    expect((await login(llu)).body.status).toBe(0);
  });

  it('redirects the first N logins to the home region, then lets the client in', async () => {
    const llu = await start({ redirects: 1, homeRegion: 'eu2' });
    expect((await login(llu)).body).toEqual({ status: 0, data: { redirect: true, region: 'eu2' } });
    const second = await login(llu);
    expect(second.body.status).toBe(0);
    expect(decodeToken(second.body.data.authTicket.token)?.region).toBe('eu2');
    const map = await call(llu, 'GET', '/llu/config/country?country=GB');
    expect(map.body.data.regionalMap.eu2?.lslApi).toBe(llu.url);
    expect(llu.counters).toMatchObject({ logins: 2, redirects: 1, loginSuccesses: 1 });
  });

  it('asks for terms and privacy policy with a step token until both are accepted', async () => {
    const llu = await start({ steps: ['tou', 'pp'] });
    const first = await login(llu);
    expect(first.body.status).toBe(4);
    expect(first.body.data.step.type).toBe('tou');
    expect(first.body.data.authTicket.duration).toBe(3_600_000);
    const stepToken = first.body.data.authTicket.token;
    expect((await call(llu, 'GET', '/llu/connections', { headers: app(llu, stepToken) })).status).toBe(401);
    expect((await call(llu, 'POST', '/auth/continue/tou', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const afterTou = await call(llu, 'POST', '/auth/continue/tou', { headers: { authorization: `Bearer ${stepToken}` } });
    expect(afterTou.body.status).toBe(4);
    expect(afterTou.body.data.step.type).toBe('pp');
    const done = await call(llu, 'POST', '/llu/auth/continue/pp', { headers: { authorization: `Bearer ${afterTou.body.data.authTicket.token}` } });
    expect(done.body.status).toBe(0);
    expect((await call(llu, 'GET', '/llu/connections', { headers: app(llu, done.body.data.authTicket.token) })).status).toBe(200);
    expect((await login(llu)).body.status).toBe(0);
  });

  it('keeps answering verifyEmail until the scenario clears it', async () => {
    const llu = await start({ steps: ['verifyEmail'] });
    expect((await login(llu)).body.data.step.type).toBe('verifyEmail');
    expect((await login(llu)).body.data.step.type).toBe('verifyEmail');
    llu.set({ steps: [] });
    expect((await login(llu)).body.status).toBe(0);
  });

  it('can play Cloudflare (HTML 403, error 1015) and HTTP 430', async () => {
    const llu = await start({ block: 'cloudflare' });
    const cf = await login(llu);
    expect(cf.status).toBe(403);
    expect(cf.text).toContain('Cloudflare');
    expect(cf.text).toContain('1015');
    expect(cf.body).toBeUndefined();
    llu.set({ block: 'http430' });
    const blocked = await login(llu);
    expect(blocked.status).toBe(430);
    expect(blocked.text).toBe('');
    llu.set({ block: 'none' });
    expect((await login(llu)).body.status).toBe(0);
  });
});

describe('fake LibreLink Up: data calls', () => {
  it('checks token, required headers, account-id and version, in that order', async () => {
    const llu = await start();
    const t = await token(llu);
    const get = (headers: Record<string, string>) => call(llu, 'GET', '/llu/connections', { headers });
    expect((await get(app(llu, t, { authorization: undefined }))).status).toBe(401);
    expect((await get(app(llu, 'not-a-token'))).status).toBe(401);
    const missing = await get(app(llu, t, { 'account-id': undefined }));
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ message: 'RequiredHeaderMissing' });
    expect((await get(app(llu, t, { product: undefined }))).status).toBe(400);
    expect((await get(app(llu, t, { 'account-id': accountIdFor('bbbbbbbb-0000-0000-0000-000000000002') }))).status).toBe(401);
    expect((await get(app(llu, t, { 'account-id': llu.accountId().toUpperCase() }))).status).toBe(401);
    const outdated = await get(app(llu, t, { version: '4.12.0' }));
    expect(outdated.status).toBe(403);
    expect(outdated.body).toEqual({ status: 920, data: { minimumVersion: '4.16.0' } });
    expect((await call(llu, 'GET', '/llu/connections/bbbbbbbb-0000-0000-0000-000000000002/graph', { headers: app(llu, t, { version: '4.12.0' }) })).status).toBe(403);
    const ok = await get(app(llu, t, { version: '4.17.1' }));
    expect(ok.status).toBe(200);
    expect(ok.body.ticket).toMatchObject({ duration: 15_552_000_000 });
    expect(llu.counters).toMatchObject({ connections: 8, rejected: 8, graph: 1 });
    const seen = llu.requests.filter((r) => r.path === '/llu/connections').map((r) => r.status);
    expect(seen).toEqual([401, 401, 400, 400, 401, 401, 403, 200]);
  });

  it('lists the followed patients with the current reading', async () => {
    const clock = manualClock();
    const alice = fakePatient({ firstName: 'Alice', lastName: 'Doe', seed: 2 });
    const bob = fakePatient({ firstName: 'Bob', lastName: 'Builder', seed: 3, unit: 'mmol/L' });
    const llu = await start({ now: clock.now, patients: [alice, bob] });
    const res = await call(llu, 'GET', '/llu/connections', { headers: app(llu, await token(llu)) });
    expect(res.body.status).toBe(0);
    expect(connectionsOf(res).map((c) => [c.firstName, c.lastName, c.patientId])).toEqual([
      ['Alice', 'Doe', alice.patientId],
      ['Bob', 'Builder', bob.patientId],
    ]);
    const list = connectionsOf(res);
    const m = list[1]!.glucoseMeasurement;
    expect(m.GlucoseUnits).toBe(0);
    expect(m.Value).toBe(toMmol(m.ValueInMgPerDl));
    expect(list[1]!.uom).toBe(0);
    expect(list[0]!.sensor).toMatchObject({ sn: '0ABCDEF123', a: 1_763_500_000, w: 60, pt: 4 });
    llu.set({ patients: [] });
    expect(connectionsOf(await call(llu, 'GET', '/llu/connections', { headers: app(llu, await token(llu)) }))).toEqual([]);
  });

  it('serves a fresh current reading and ~12 h of 5-min history that lags it by 15–20 min', async () => {
    const clock = manualClock();
    const llu = await start({ now: clock.now });
    const t = await token(llu);
    const graph = async () => (await call(llu, 'GET', '/llu/connections/bbbbbbbb-0000-0000-0000-000000000002/graph', { headers: app(llu, t) })).body;
    const body = await graph();
    expect(body.status).toBe(0);
    expect(body.ticket.token).toBeTypeOf('string');
    const cur = body.data.connection.glucoseMeasurement;
    const history = body.data.graphData;
    for (const item of [cur, ...history]) {
      expect(item.FactoryTimestamp).toMatch(WIRE_TS);
      expect(item.Timestamp).toMatch(WIRE_TS);
      expect(parseLluTimestamp(item.Timestamp)! - parseLluTimestamp(item.FactoryTimestamp)!).toBe(60 * MIN);
    }
    const curAt = parseLluTimestamp(cur.FactoryTimestamp)!;
    expect(clock.t - curAt).toBeGreaterThanOrEqual(0);
    expect(clock.t - curAt).toBeLessThan(MIN);
    expect(cur.TrendArrow).toBeGreaterThanOrEqual(1);
    expect(cur.TrendArrow).toBeLessThanOrEqual(5);
    expect(cur.type).toBe(1);
    expect(body.data.connection.glucoseItem.FactoryTimestamp).toBe(cur.FactoryTimestamp);
    const times = history.map((h) => parseLluTimestamp(h.FactoryTimestamp)!);
    expect(history.every((h) => !('TrendArrow' in h) && h.type === 0)).toBe(true);
    expect(times.slice(1).map((x, i) => x - times[i]!)).toEqual(times.slice(1).map(() => 5 * MIN));
    expect(history.length).toBeGreaterThanOrEqual(140);
    expect(history.length).toBeLessThanOrEqual(144);
    expect(clock.t - times[0]!).toBeLessThan(12 * 60 * MIN);
    const lag = curAt - times[times.length - 1]!;
    expect(lag).toBeGreaterThanOrEqual(15 * MIN);
    expect(lag).toBeLessThanOrEqual(20 * MIN);
    expect(body.data.activeSensors[0]?.sensor.sn).toBe('0ABCDEF123');

    // Time moves: the current reading every minute, the same timestamp keeps its value.
    clock.t += 7 * MIN;
    const later = await graph();
    const curLater = parseLluTimestamp(later.data.connection.glucoseMeasurement.FactoryTimestamp)!;
    expect(curLater - curAt).toBe(7 * MIN);
    const before = new Map(history.map((h) => [h.FactoryTimestamp, h.ValueInMgPerDl]));
    const overlap = later.data.graphData.filter((h) => before.has(h.FactoryTimestamp));
    expect(overlap.length).toBeGreaterThan(100);
    for (const h of overlap) expect(h.ValueInMgPerDl).toBe(before.get(h.FactoryTimestamp));
    expect(llu.servedDates(['current'])).toEqual(new Set([curAt, curLater]));
    expect(llu.counters.graph).toBe(2);
  });

  it('shrinking the graph lag back-fills points older than the current reading', async () => {
    const clock = manualClock();
    const llu = await start({ now: clock.now, timing: { graphLagMs: 20 * MIN } });
    const t = await token(llu);
    const path = '/llu/connections/bbbbbbbb-0000-0000-0000-000000000002/graph';
    const a = (await call(llu, 'GET', path, { headers: app(llu, t) })).body.data.graphData.length;
    llu.set({ timing: { graphLagMs: 0 } });
    const b = (await call(llu, 'GET', path, { headers: app(llu, t) })).body.data.graphData.length;
    expect(b - a).toBe(4);
  });

  it('answers couldNotLoadPatient for an unknown patient (e.g. the connection id)', async () => {
    const llu = await start();
    const res = await call(llu, 'GET', '/llu/connections/aaaaaaaa-0000-0000-0000-000000000001/graph', { headers: app(llu, await token(llu)) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 4, error: { message: 'couldNotLoadPatient' } });
  });

  it('revoked tokens get 401; renewed tickets and a new login work', async () => {
    const llu = await start();
    const t = await token(llu);
    const first = await call(llu, 'GET', '/llu/connections', { headers: app(llu, t) });
    const renewed = first.body.ticket.token;
    expect((await call(llu, 'GET', '/llu/connections', { headers: app(llu, renewed) })).status).toBe(200);
    llu.revokeTokens();
    expect((await call(llu, 'GET', '/llu/connections', { headers: app(llu, t) })).status).toBe(401);
    expect((await call(llu, 'GET', '/llu/connections', { headers: app(llu, renewed) })).status).toBe(401);
    expect((await call(llu, 'GET', '/llu/connections', { headers: app(llu, await token(llu)) })).status).toBe(200);
  });

  it('expires session tokens by its clock', async () => {
    const clock = manualClock();
    const llu = await start({ now: clock.now, ticketDurationMs: 10 * MIN });
    const t = await token(llu);
    expect((await call(llu, 'GET', '/llu/connections', { headers: app(llu, t) })).status).toBe(200);
    clock.t += 11 * MIN;
    expect((await call(llu, 'GET', '/llu/connections', { headers: app(llu, t) })).status).toBe(401);
  });
});

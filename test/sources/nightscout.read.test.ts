import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, TransformError, UpstreamError } from '../../lib/errors.js';
import { syncIdentifier } from '../../lib/identity.js';
import type { NssSession } from '../../sources/nightscout/index.js';
import { availableSources, createDriver } from '../../sources/registry.js';
import type { FetchWindow, SourceDriver, SourceLoop } from '../../lib/contracts/source.js';
import {
  JWT,
  MINUTE,
  NOW,
  SECRET,
  SECRET_SHA1,
  SITE,
  TOKEN,
  driverFor,
  mockJwt,
  mockVersion,
  searchV1,
  searchV3,
  serve,
  settings,
  signal,
  v1Entry,
  type Doc,
} from '../fixtures/nightscout-source/harness.js';
import { testDriverContext } from '../fakes/driver-context.js';

const WINDOW: FetchWindow = { fromMs: NOW - 60 * MINUTE, toMs: NOW };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

async function sessionOf(driver: SourceDriver<unknown, NssSession>): Promise<NssSession> {
  const auth = await driver.session.authenticate(signal());
  return driver.session.authorize(auth, signal());
}

function loop(driver: SourceDriver<unknown, NssSession>, name: string): SourceLoop<NssSession> {
  const found = driver.loops.find((l) => l.name === name);
  if (!found) throw new Error(`no loop ${name}`);
  return found;
}

/** fetch + transform, as a frame does. */
async function frame(driver: SourceDriver<unknown, NssSession>, name: string, session: NssSession, window = WINDOW) {
  const l = loop(driver, name);
  return l.transform(await l.fetch(session, window, signal()), window);
}

/** Readings every 5 min over the window, newest at NOW. */
function readings(n: number): Doc[] {
  return Array.from({ length: n }, (_, i) => v1Entry(NOW - (n - 1 - i) * 5 * MINUTE, 100 + i));
}

describe('Nightscout source: session', () => {
  it('has one loop per collection, each producing only its own collection', () => {
    const { driver } = driverFor({ token: TOKEN });
    expect(driver.loops.map((l) => [l.name, l.collections])).toEqual([
      ['entries', ['entries']],
      ['treatments', ['treatments']],
      ['devicestatus', ['devicestatus']],
    ]);
    expect(driver.kind).toBe('nightscout');
  });

  it('is registered as the `nightscout` source (CONNECT_SOURCE=nightscout)', async () => {
    expect(availableSources()).toContain('nightscout');
    const driver = await createDriver(settings({ token: TOKEN }), testDriverContext(() => NOW));
    expect(driver.kind).toBe('nightscout');
    expect(driver.baseUrl).toBe(SITE);
  });

  it('exchanges the token for a JWT on authenticate and picks API v3 when the server has it', async () => {
    const jwt = mockJwt();
    const version = mockVersion(true);
    const { driver, captured } = driverFor({ token: TOKEN });
    const auth = await driver.session.authenticate(signal());
    expect(jwt.isDone()).toBe(true);
    expect(await driver.session.authorize(auth, signal())).toEqual({ api: 'v3' });
    expect(version.isDone()).toBe(true);
    expect(captured.lines().find((l) => l.api === 'v3')?.msg).toMatch(/API v3 with the access token/);
    expect(captured.text()).not.toContain(TOKEN);
    expect(captured.text()).not.toContain(JWT);
  });

  it('a token the server does not know is NS004 at login, an AuthError naming CONNECT_SOURCE_TOKEN', async () => {
    nock(SITE).get(`/api/v2/authorization/request/${TOKEN}`).reply(401, { status: 401, message: 'Unauthorized', description: 'Invalid/Missing' });
    const { driver } = driverFor({ token: TOKEN });
    const error = await driver.session.authenticate(signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('NS004');
    expect((error as AuthError).message).toContain('the source Nightscout');
    expect((error as AuthError).hint).toContain('CONNECT_SOURCE_TOKEN');
  });

  it('reads API v1 with a secret or anonymously without asking for v3', async () => {
    for (const patch of [{ apiSecret: SECRET }, {}]) {
      const { driver } = driverFor(patch);
      expect(await sessionOf(driver)).toEqual({ api: 'v1' });
    }
  });
});

describe('Nightscout source: API v3 reads with the JWT', () => {
  it('asks from the window start, oldest first, with the Bearer JWT (no upper bound: Nightscout keeps one operator per field)', async () => {
    mockJwt();
    mockVersion(true);
    const docs = readings(3).map((d, i) => ({ ...d, identifier: syncIdentifier({ device: 'xDrip-DexcomG6', date: d.date as number }), srvModified: i }));
    const seen = serve('/api/v3/entries', (q) => ({ status: 200, result: searchV3(docs, q) }));
    const { driver } = driverFor({ token: TOKEN });
    const batch = await frame(driver, 'entries', await sessionOf(driver));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.query).toEqual({ date$gt: String(WINDOW.fromMs), sort: 'date', limit: '500' });
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${JWT}`);
    expect(seen[0]!.headers['api-secret']).toBeUndefined();
    expect(batch.entries.map((e) => e.sgv)).toEqual([100, 101, 102]);
    expect(batch.entries.map((e) => e.identifier)).toEqual(docs.map((d) => d.identifier));
  });

  it('pages until the window is covered: every document once, also a tie straddling two pages', async () => {
    mockJwt();
    mockVersion(true);
    const docs = readings(7);
    // A meter reading at the very millisecond of the 3rd CGM reading: the tie straddles pages 1 and 2.
    docs.splice(3, 0, { ...docs[2]!, _id: 'mbg-same-ms', type: 'mbg', mbg: 150, sgv: undefined, device: 'meter' });
    const seen = serve('/api/v3/entries', (q) => ({ status: 200, result: searchV3(docs, q) }));
    const { driver } = driverFor({ token: TOKEN }, 3);
    const batch = await frame(driver, 'entries', await sessionOf(driver));
    expect(batch.entries).toHaveLength(8);
    expect(new Set(batch.entries.map((e) => e.identifier)).size).toBe(8);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen[1]!.query).toEqual({ date$gte: expect.any(String), skip: expect.any(String), sort: 'date', limit: '3' });
  });

  it('stops at the window end: a document dated past it (a wrong clock) is not read, and the pages before it arrive whole', async () => {
    mockJwt();
    mockVersion(true);
    const docs = [...readings(7), { ...readings(1)[0]!, _id: 'from-the-future', date: WINDOW.toMs + 30 * 24 * 60 * MINUTE, sgv: 111 }];
    const seen = serve('/api/v3/entries', (q) => ({ status: 200, result: searchV3(docs, q) }));
    const { driver } = driverFor({ token: TOKEN }, 3);
    const batch = await frame(driver, 'entries', await sessionOf(driver));
    expect(batch.entries.map((e) => e.date)).toEqual(docs.slice(0, 7).map((d) => d.date));
    expect(seen.length).toBeLessThanOrEqual(3);
  });

  it('finds treatments written through v1 (no `date`) by created_at, each treatment once', async () => {
    mockJwt();
    mockVersion(true);
    const at = (ms: number) => new Date(ms).toISOString();
    const v3Bolus = { identifier: '0d3e1b7a-9c1f-5e2a-8b4c-1d2e3f4a5b6c', eventType: 'Correction Bolus', insulin: 1, date: NOW - 30 * MINUTE, created_at: at(NOW - 30 * MINUTE), device: 'AAPS', app: 'AAPS' };
    const v1Carbs = { _id: '65f000000000000000000001', eventType: 'Carb Correction', carbs: 12, created_at: at(NOW - 20 * MINUTE), enteredBy: 'careportal' };
    const old = { _id: '65f000000000000000000002', eventType: 'Note', notes: 'before', created_at: at(NOW - 90 * MINUTE) };
    const seen = serve('/api/v3/treatments', (q) => ({ status: 200, result: searchV3([v3Bolus, v1Carbs, old], q) }));
    const { driver } = driverFor({ token: TOKEN });
    const batch = await frame(driver, 'treatments', await sessionOf(driver));
    expect(seen.map((s) => s.query)).toEqual([
      { date$gt: String(WINDOW.fromMs), sort: 'date', limit: '500' },
      { created_at$gt: at(WINDOW.fromMs), sort: 'created_at', limit: '500' },
    ]);
    expect(batch.treatments.map((t) => t.eventType)).toEqual(['Correction Bolus', 'Carb Correction']);
    expect(batch.treatments[1]).toMatchObject({ date: NOW - 20 * MINUTE, device: 'nightscout', identifier: syncIdentifier({ device: 'nightscout', date: NOW - 20 * MINUTE, eventType: 'Carb Correction' }) });
  });
});

describe('Nightscout source: API v1 reads', () => {
  it('sends api-secret = SHA-1 hex of the secret and asks for the window by date', async () => {
    const seen = serve('/api/v1/entries.json', (q) => searchV1(readings(4), q, 'date'));
    const { driver } = driverFor({ apiSecret: SECRET });
    const batch = await frame(driver, 'entries', await sessionOf(driver));
    expect(seen[0]!.headers['api-secret']).toBe(SECRET_SHA1);
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(seen[0]!.query).toEqual({ 'find[date][$gt]': String(WINDOW.fromMs), 'find[date][$lte]': String(WINDOW.toMs), count: '500' });
    expect(batch.entries.map((e) => e.sgv)).toEqual([100, 101, 102, 103]);
  });

  it('pages newest-first answers backwards until the window is covered, none lost, none twice', async () => {
    const docs = readings(12);
    // Another uploader's copy of the 4th-newest reading: last on page 1, and the first reading of page 2 shares its time.
    docs.push({ ...docs[8]!, _id: 'tie-at-page-edge', device: 'other-uploader' });
    const seen = serve('/api/v1/entries.json', (q) => searchV1(docs, q, 'date'));
    const { driver } = driverFor({ apiSecret: SECRET }, 4);
    const batch = await frame(driver, 'entries', await sessionOf(driver));
    expect(batch.entries).toHaveLength(13);
    expect(new Set(batch.entries.map((e) => e.identifier)).size).toBe(13);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen[1]!.query['find[date][$lte]']).toBe(String(docs[8]!.date));
  });

  it('reads treatments and device statuses by created_at (ISO), the only filter v1 has for them', async () => {
    const at = (ms: number) => new Date(ms).toISOString();
    const statuses = [
      { _id: 's1', device: 'openaps://phone', created_at: at(NOW - 10 * MINUTE), uploaderBattery: 50 },
      { _id: 's2', device: 'openaps://phone', created_at: at(NOW - 5 * MINUTE), uploaderBattery: 49 },
    ];
    const seen = serve('/api/v1/devicestatus.json', (q) => searchV1(statuses, q, 'created_at'));
    const { driver } = driverFor({ apiSecret: SECRET });
    const batch = await frame(driver, 'devicestatus', await sessionOf(driver));
    expect(seen[0]!.query).toEqual({ 'find[created_at][$gt]': at(WINDOW.fromMs), 'find[created_at][$lte]': at(WINDOW.toMs), count: '500' });
    expect(batch.devicestatus.map((d) => d.uploaderBattery)).toEqual([50, 49]);
  });

  it('reads a publicly readable site without any credential header', async () => {
    const seen = serve('/api/v1/entries.json', (q) => searchV1(readings(2), q, 'date'));
    const { driver } = driverFor({});
    const batch = await frame(driver, 'entries', await sessionOf(driver));
    expect(batch.entries).toHaveLength(2);
    expect(seen[0]!.headers['api-secret']).toBeUndefined();
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('a site that is not readable without credentials is NS001, naming both settings', async () => {
    nock(SITE).get('/api/v1/entries.json').query(true).reply(401, { status: 401, message: 'Unauthorized', description: 'Invalid/Missing' });
    const { driver } = driverFor({});
    const error = await loop(driver, 'entries').fetch(await sessionOf(driver), WINDOW, signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('NS001');
    expect((error as ConfigError).hint).toMatch(/CONNECT_SOURCE_TOKEN.*CONNECT_SOURCE_API_SECRET/);
  });

  it('a wrong secret is NS003, an AuthError (no retry)', async () => {
    nock(SITE).get('/api/v1/entries.json').query(true).reply(401, { status: 401, message: 'Unauthorized' });
    const { driver } = driverFor({ apiSecret: SECRET });
    const error = await loop(driver, 'entries').fetch(await sessionOf(driver), WINDOW, signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('NS003');
    expect(String((error as AuthError).message)).not.toContain(SECRET);
  });

  it('with a token and a server without API v3, reads v1 with the JWT', async () => {
    mockJwt();
    mockVersion(false);
    const seen = serve('/api/v1/entries.json', (q) => searchV1(readings(2), q, 'date'));
    const { driver, captured } = driverFor({ token: TOKEN });
    const session = await sessionOf(driver);
    expect(session).toEqual({ api: 'v1' });
    expect(captured.text()).toMatch(/no API v3/);
    const batch = await frame(driver, 'entries', session);
    expect(batch.entries).toHaveLength(2);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${JWT}`);
  });
});

describe('Nightscout source: unreadable answers', () => {
  async function fetchError(reply: [number, string | Record<string, unknown>]): Promise<unknown> {
    nock(SITE).get('/api/v1/entries.json').query(true).reply(reply[0], reply[1]);
    const { driver } = driverFor({ apiSecret: SECRET });
    return loop(driver, 'entries').fetch(await sessionOf(driver), WINDOW, signal()).catch((e: unknown) => e);
  }

  it('JSON that is not a list of documents is NSS001, a TransformError', async () => {
    const error = await fetchError([200, { status: 200, entries: [] }]);
    expect(error).toBeInstanceOf(TransformError);
    expect((error as TransformError).code).toBe('NSS001');
  });

  it('an HTML page (a proxy or login page in front) is NS008', async () => {
    const error = await fetchError([200, '<html><body>Sign in</body></html>']);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('NS008');
  });

  it('a refused read is NSS002 with the status, so a 4xx is not retried', async () => {
    const error = await fetchError([404, 'Cannot GET /api/v1/entries.json']);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('NSS002');
    expect((error as UpstreamError).status).toBe(404);
  });
});

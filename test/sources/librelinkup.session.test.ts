import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classify, ConfigError, RateLimitError, SessionExpiredError, UpstreamError } from '../../lib/errors.js';
import { createDriver } from '../../sources/registry.js';
import { createLibreLinkUpDriver, LLU_DEVICE, STATE_KEYS, type LluSession } from '../../sources/librelinkup/index.js';
import { memoryStateStore, testDriverContext } from '../fakes/driver-context.js';
import {
  LOGIN_TOKEN,
  NOW,
  PATIENT_ID,
  SERVER,
  USERNAME,
  USER_ID,
  establish,
  type Fixture,
  expectNoSecrets,
  fixture,
  harness,
  rejection,
  settings,
  sha256,
  signal,
} from '../fixtures/librelinkup/harness.js';

const LOGIN = '/llu/auth/login';
const CONNECTIONS = '/llu/connections';
const GRAPH = `/llu/connections/${PATIENT_ID}/graph`;
const HOUR = 3_600_000;
const WINDOW = { fromMs: NOW - 12 * HOUR, toMs: NOW };

function persistedSession(patch: Record<string, unknown> = {}) {
  return {
    token: 'persisted.token',
    expires: NOW + 90 * 24 * HOUR,
    accountId: sha256(USER_ID),
    baseUrl: SERVER,
    region: 'EU',
    configuredBaseUrl: SERVER,
    username: USERNAME,
    savedAt: NOW - HOUR,
    ...patch,
  };
}

function twoPatients() {
  const body = fixture('connections');
  const other = structuredClone(body.data[0]);
  Object.assign(other, { patientId: 'dddddddd-0000-0000-0000-000000000004', firstName: 'Alex', lastName: 'Other' });
  (body.data as unknown[]).push(other);
  return body;
}

async function fetchGraph(driver: ReturnType<typeof harness>['driver'], session: LluSession, abort = signal()) {
  return driver.loops[0]!.fetch(session, WINDOW, abort);
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('LibreLink Up driver shape', () => {
  it('has one graph loop producing entries and treatments, with the configured cadence', () => {
    const { driver } = harness({ intervalSeconds: 120, minIntervalSeconds: 45 });
    expect(driver).toMatchObject({ kind: 'linkup', device: 'librelinkup', baseUrl: 'https://api-eu.libreview.io' });
    expect(driver.loops).toHaveLength(1);
    expect(driver.loops[0]).toMatchObject({
      name: 'entries',
      collections: ['entries', 'treatments'],
      expectedIntervalMs: 120_000,
      minIntervalMs: 45_000,
      lagMs: 5_000,
      historyMs: 12 * HOUR,
      maxRetries: 2,
    });
    expect(driver.loops[0]!.backoff).toBeDefined();
  });

  it('builds without I/O and rejects an unknown region or a bad server with coded config errors', () => {
    expect(harness({ region: 'uk' }).driver.baseUrl).toBe('https://api-eu2.libreview.io');
    expect(harness({ server: 'llu.example.test:8443' }).driver.baseUrl).toBe('https://llu.example.test:8443');
    expect(harness({ server: 'http://127.0.0.1:8080/' }).driver.baseUrl).toBe(SERVER);
    const ctx = testDriverContext(() => NOW);
    expect(() => createLibreLinkUpDriver(settings({ region: 'Atlantis' }), ctx)).toThrow(ConfigError);
    expect(() => createLibreLinkUpDriver(settings({ region: 'Atlantis' }), ctx)).toThrow(/LLU001/);
    expect(() => createLibreLinkUpDriver(settings({ server: 'ftp://x' }), ctx)).toThrow(/LLU002/);
  });

  it('is registered as the linkup source', async () => {
    const driver = await createDriver(settings(), testDriverContext(() => NOW));
    expect(driver.kind).toBe('linkup');
    expect(driver.device).toBe(LLU_DEVICE);
  });
});

describe('LibreLink Up persisted ticket', () => {
  it('reuses the ticket after a restart without logging in', async () => {
    nock(SERVER).post(LOGIN).once().reply(200, fixture('login-success')).get(CONNECTIONS).twice().reply(200, fixture('connections'));
    const first = harness({ server: SERVER });
    await establish(first.driver);
    const restarted = harness({ server: SERVER }, { state: first.state });
    const session = await establish(restarted.driver);
    expect(session).toMatchObject({ patientId: PATIENT_ID, restored: true });
    expect(nock.isDone()).toBe(true);
  });

  it('uses a persisted ticket as it is: token and account-id go on the data calls', async () => {
    const state = memoryStateStore({ [STATE_KEYS.session]: persistedSession() });
    let headers: Record<string, unknown> = {};
    nock(SERVER)
      .get(CONNECTIONS)
      .reply(function () {
        headers = this.req.headers;
        return [200, fixture('connections')];
      });
    await establish(harness({ server: SERVER }, { state }).driver);
    expect(headers).toMatchObject({ authorization: 'Bearer persisted.token', 'account-id': sha256(USER_ID) });
  });

  it.each([
    ['expired', persistedSession({ expires: NOW - 1 })],
    ['for another username', persistedSession({ username: 'someone@example.test' })],
    ['for another configured server', persistedSession({ configuredBaseUrl: 'https://api-us.libreview.io' })],
    ['malformed', { token: 42 }],
  ])('logs in when the persisted ticket is %s', async (_name, record) => {
    const state = memoryStateStore({ [STATE_KEYS.session]: record });
    const login = nock(SERVER).post(LOGIN).reply(200, fixture('login-success'));
    const auth = (await harness({ server: SERVER }, { state }).driver.session.authenticate(signal())) as { restored: boolean };
    expect(login.isDone()).toBe(true);
    expect(auth.restored).toBe(false);
    expect(state.data.get(STATE_KEYS.session)).toMatchObject({ token: LOGIN_TOKEN });
  });

  it('logs in again once when a persisted ticket is refused while authorizing', async () => {
    const state = memoryStateStore({ [STATE_KEYS.session]: persistedSession() });
    nock(SERVER)
      .get(CONNECTIONS)
      .matchHeader('authorization', 'Bearer persisted.token')
      .reply(401)
      .post(LOGIN)
      .reply(200, fixture('login-success'))
      .get(CONNECTIONS)
      .matchHeader('authorization', `Bearer ${LOGIN_TOKEN}`)
      .reply(200, fixture('connections'));
    const session = await establish(harness({ server: SERVER }, { state }).driver);
    expect(session.restored).toBe(false);
    expect(nock.isDone()).toBe(true);
  });

  it('throws SessionExpiredError when a fresh ticket is refused while authorizing', async () => {
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success')).get(CONNECTIONS).reply(401);
    const { driver, state } = harness({ server: SERVER });
    const error = await rejection(establish(driver));
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect(state.data.has(STATE_KEYS.session)).toBe(false);
  });
});

describe('LibreLink Up data-call errors', () => {
  async function sessionFor(h: ReturnType<typeof harness>): Promise<LluSession> {
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success')).get(CONNECTIONS).reply(200, fixture('connections'));
    return establish(h.driver);
  }

  it('on a 401 from the graph, drops the persisted ticket and asks the machines to log in again', async () => {
    const h = harness({ server: SERVER });
    const session = await sessionFor(h);
    expect(h.state.data.has(STATE_KEYS.session)).toBe(true);
    nock(SERVER).get(GRAPH).reply(401, { message: 'unauthorized' });
    const error = await rejection(fetchGraph(h.driver, session));
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect(error.code).toBe('LLU017');
    expect(classify(error, NOW)).toEqual({ action: 'reauthenticate' });
    expect(h.state.data.has(STATE_KEYS.session)).toBe(false);
    expectNoSecrets(error);
  });

  it('keeps a newer persisted ticket when an old session gets the 401', async () => {
    const h = harness({ server: SERVER });
    const session = await sessionFor(h);
    await h.state.write(STATE_KEYS.session, persistedSession({ token: 'newer.token' }));
    nock(SERVER).get(GRAPH).reply(401);
    await rejection(fetchGraph(h.driver, session));
    expect(h.state.data.get(STATE_KEYS.session)).toMatchObject({ token: 'newer.token' });
  });

  it('treats MissingCachedUser like an expired session', async () => {
    const h = harness({ server: SERVER });
    const session = await sessionFor(h);
    nock(SERVER).get(GRAPH).reply(200, { message: 'MissingCachedUser' });
    expect(await rejection(fetchGraph(h.driver, session))).toBeInstanceOf(SessionExpiredError);
  });

  it('fails an expired session without a request', async () => {
    const h = harness({ server: SERVER });
    const session = await sessionFor(h);
    h.clock.now = session.expiresMs;
    const error = await rejection(fetchGraph(h.driver, session));
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect(h.state.data.has(STATE_KEYS.session)).toBe(false);
  });

  it('says the version header is outdated on a 403', async () => {
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success')).get(CONNECTIONS).reply(403, '');
    const error = await rejection(establish(harness({ server: SERVER, version: '4.12.0' }).driver));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('LLU015');
    expect(error.message).toContain('the LibreLinkUp version header is outdated; set CONNECT_LINK_UP_VERSION to the current app version');
    expect(error.message).toContain('4.12.0');
  });

  it('reports 400 RequiredHeaderMissing with its own code', async () => {
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success')).get(CONNECTIONS).reply(400, fixture('required-header-missing'));
    const error = await rejection(establish(harness({ server: SERVER }).driver));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: 'LLU016', status: 400 });
    expect(classify(error, NOW)).toEqual({ action: 'stop' });
  });

  it('names the patient the server cannot load', async () => {
    const h = harness({ server: SERVER });
    const session = await sessionFor(h);
    nock(SERVER).get(GRAPH).reply(200, fixture('could-not-load-patient'));
    const error = await rejection(fetchGraph(h.driver, session));
    expect(error).toMatchObject({ code: 'LLU021' });
    expect(error.message).toContain(PATIENT_ID);
  });

  it('backs off long on a Cloudflare page and retries a truncated body', async () => {
    const h = harness({ server: SERVER });
    const session = await sessionFor(h);
    nock(SERVER).get(GRAPH).reply(403, '<html><body>Error 1015 — You are being rate limited</body></html>', { 'content-type': 'text/html' });
    const banned = await rejection(fetchGraph(h.driver, session));
    expect(banned).toBeInstanceOf(RateLimitError);
    expect(banned.retryAfterMs).toBe(15 * 60_000);
    nock(SERVER).get(GRAPH).reply(200, JSON.stringify(fixture('graph')).slice(0, 300));
    const truncated = await rejection(fetchGraph(h.driver, session));
    expect(truncated).toBeInstanceOf(UpstreamError);
    expect(truncated.code).toBe('LLU023');
    expect(classify(truncated, NOW)).toEqual({ action: 'retry' });
    expectNoSecrets(truncated);
  });

  it('waits out a 503 that says when to come back, and retries one that does not', async () => {
    const h = harness({ server: SERVER });
    const session = await sessionFor(h);
    nock(SERVER).get(GRAPH).reply(503, { status: 503, message: 'maintenance' }, { 'retry-after': '1800' });
    const maintenance = await rejection(fetchGraph(h.driver, session));
    expect(maintenance).toBeInstanceOf(RateLimitError);
    expect(maintenance).toMatchObject({ code: 'LLU007', retryAfterMs: 30 * 60_000 });
    nock(SERVER).get(GRAPH).reply(503, { status: 503, message: 'unavailable' });
    const plain = await rejection(fetchGraph(h.driver, session));
    expect(plain).toMatchObject({ code: 'LLU022', status: 503 });
    expect(classify(plain, NOW)).toEqual({ action: 'retry' });
  });
});

describe('LibreLink Up patient selection', () => {
  async function select(body: Fixture, pin: { patientId?: string; patientName?: string } = {}) {
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success')).get(CONNECTIONS).reply(200, body);
    return establish(harness({ server: SERVER, ...pin }).driver);
  }

  it('takes the only followed patient', async () => {
    expect(await select(fixture('connections'))).toMatchObject({ patientId: PATIENT_ID, patientName: 'Pat Ient' });
  });

  it('takes the patient pinned by id', async () => {
    expect((await select(twoPatients(), { patientId: 'dddddddd-0000-0000-0000-000000000004' })).patientName).toBe('Alex Other');
  });

  it('takes the patient pinned by name, case-insensitively', async () => {
    expect((await select(twoPatients(), { patientName: '  pat   IENT ' })).patientId).toBe(PATIENT_ID);
  });

  it('refuses to guess between several patients and lists them', async () => {
    const error = await rejection(select(twoPatients()));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('LLU019');
    expect(error.message).toContain(`Pat Ient (${PATIENT_ID})`);
    expect(error.message).toContain('Alex Other (dddddddd-0000-0000-0000-000000000004)');
    expect(error.hint).toContain('CONNECT_LINK_UP_PATIENT_ID');
  });

  it('explains the follower invitation when the account follows nobody', async () => {
    const error = await rejection(select({ status: 0, data: [] }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('LLU018');
    expect(error.hint).toContain('accept the invitation in the LibreLinkUp app');
  });

  it('lists what is there when the pinned patient is not', async () => {
    const error = await rejection(select(fixture('connections'), { patientName: 'Nobody Here' }));
    expect(error.code).toBe('LLU020');
    expect(error.message).toContain('"Nobody Here"');
    expect(error.message).toContain(`Pat Ient (${PATIENT_ID})`);
  });

  it('reads a connections list of the wrong shape as an upstream error', async () => {
    const error = await rejection(select({ status: 0, data: [{ firstName: 'no id' }] }));
    expect(error).toMatchObject({ code: 'LLU023' });
  });
});

describe('LibreLink Up graph loop', () => {
  it('fetches the graph and hands on the answer without the renewed ticket', async () => {
    const h = harness({ server: SERVER });
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success')).get(CONNECTIONS).reply(200, fixture('connections')).get(GRAPH).reply(200, fixture('graph'));
    const session = await establish(h.driver);
    const raw = await fetchGraph(h.driver, session);
    expect(JSON.stringify(raw)).not.toContain('renewed.token.x');
    const batch = h.driver.loops[0]!.transform(raw, WINDOW);
    expect(batch.entries.map((e) => e.sgv)).toEqual([118, 121, 132]);
    expect(batch.treatments).toHaveLength(1);
  });

  it('honours the abort signal', async () => {
    const h = harness({ server: SERVER });
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success')).get(CONNECTIONS).reply(200, fixture('connections'));
    const session = await establish(h.driver);
    nock(SERVER).get(GRAPH).delay(10_000).reply(200, fixture('graph'));
    const controller = new AbortController();
    const started = Date.now();
    const pending = fetchGraph(h.driver, session, controller.signal);
    setTimeout(() => controller.abort(new Error('frame stopped')), 20);
    const error = await rejection(pending);
    expect(error.message).toBe('frame stopped');
    expect(Date.now() - started).toBeLessThan(5_000);

    const aborted = new AbortController();
    aborted.abort(new Error('stopped before'));
    expect((await rejection(h.driver.session.authenticate(aborted.signal))).message).toBe('stopped before');
  });
});

import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, classify, ConfigError, NetworkError, RateLimitError, SessionExpiredError, UpstreamError } from '../../lib/errors.js';
import { Secret } from '../../lib/secret.js';
import { STATE_KEYS, type ShareSession } from '../../sources/dexcomshare/index.js';
import { createDriver } from '../../sources/registry.js';
import { testDriverContext } from '../fakes/driver-context.js';
import {
  ACCOUNT_ID,
  ACCOUNT_NAME,
  establish,
  expectNoSecrets,
  fault,
  fixture,
  harness,
  JP_APP,
  NOW,
  PASSWORD,
  PATH,
  rejection,
  SESSION_ID,
  settings,
  signal,
  US,
  US_APP,
  type Harness,
} from '../fixtures/dexcomshare/harness.js';

const AUTH = `${PATH}/General/AuthenticatePublisherAccount`;
const LOGIN = `${PATH}/General/LoginPublisherAccountById`;
const READ = `${PATH}/Publisher/ReadPublisherLatestGlucoseValues`;
const HOUR = 3_600_000;
const MIN = 60_000;
const WINDOW = { fromMs: NOW - 24 * HOUR, toMs: NOW };

function share(): nock.Scope {
  return nock(US);
}

function loginOk(scope = share()): nock.Scope {
  return scope.post(AUTH).reply(200, JSON.stringify(fixture('authenticate'))).post(LOGIN).reply(200, JSON.stringify(fixture('login-by-id')));
}

async function fetchOnce(h: Harness, session: ShareSession, window = WINDOW): Promise<unknown> {
  return h.driver.loops[0]!.fetch(session, window, signal());
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('Dexcom Share login', () => {
  it('logs in in two steps with the region application id, then reads with the session id', async () => {
    const h = harness();
    const bodies: unknown[] = [];
    const scope = share()
      .post(AUTH, (b: unknown) => (bodies.push(b), true))
      .reply(200, JSON.stringify(fixture('authenticate')))
      .post(LOGIN, (b: unknown) => (bodies.push(b), true))
      .reply(200, JSON.stringify(fixture('login-by-id')))
      .post(READ, {})
      .query({ sessionId: SESSION_ID, minutes: '1440', maxCount: '288' })
      .matchHeader('accept', 'application/json')
      .matchHeader('content-type', 'application/json')
      .reply(200, fixture('readings') as nock.Body);
    const session = await establish(h.driver);
    expect(bodies).toEqual([
      { accountName: ACCOUNT_NAME, password: PASSWORD, applicationId: US_APP },
      { accountId: ACCOUNT_ID, password: PASSWORD, applicationId: US_APP },
    ]);
    const raw = await fetchOnce(h, session);
    expect(h.driver.loops[0]!.transform(raw, WINDOW).entries).toHaveLength(2);
    scope.done();
    expect(h.state.data.get(STATE_KEYS.account)).toMatchObject({ accountId: ACCOUNT_ID, accountName: ACCOUNT_NAME });
    expect(h.state.data.get(STATE_KEYS.session)).toMatchObject({ sessionId: SESSION_ID, accountId: ACCOUNT_ID, savedAt: NOW });
    expect(h.captured.text()).not.toContain(PASSWORD);
    expect(h.captured.text()).not.toContain(SESSION_ID);
    expect(h.driver).toMatchObject({ kind: 'dexcomshare', device: 'share2' });
    expect(h.driver.loops[0]).toMatchObject({ historyMs: 24 * HOUR, expectedIntervalMs: 5 * MIN, lagMs: 20_000, minIntervalMs: MIN });
    expect(h.driver.session.expireAfterMs).toBeLessThan(24 * HOUR);
  });

  it('JP uses its own host and application id; OUS its host; CONNECT_SHARE_SERVER overrides the host only', async () => {
    let body: unknown;
    nock('https://share.dexcom.jp')
      .post(AUTH, (b: unknown) => ((body = b), true))
      .reply(200, JSON.stringify(fixture('authenticate')));
    await harness({ region: 'jp' }).driver.session.authenticate(signal());
    expect(body).toMatchObject({ applicationId: JP_APP });
    expect(harness({ region: 'ous' }).driver.baseUrl).toBe('https://shareous1.dexcom.com/ShareWebServices/Services');
    nock('http://127.0.0.1:9')
      .post(AUTH, (b: unknown) => ((body = b), true))
      .reply(200, JSON.stringify(fixture('authenticate')));
    await harness({ region: 'jp', server: 'http://127.0.0.1:9' }).driver.session.authenticate(signal());
    expect(body).toMatchObject({ applicationId: JP_APP });
  });

  it('a restart reuses the persisted account id and session: no request at all', async () => {
    const first = harness();
    loginOk();
    await establish(first.driver);
    const second = harness({}, { state: first.state, clock: { now: NOW + HOUR } });
    const session = await establish(second.driver);
    expect(session).toMatchObject({ restored: true, establishedMs: NOW });
    expect(session.sessionId.reveal()).toBe(SESSION_ID);
  });

  it('renews before 24 h with step 2 only (the account id is cached)', async () => {
    const first = harness();
    loginOk();
    const old = await establish(first.driver);
    const clock = { now: NOW + 23 * HOUR };
    const later = harness({}, { state: first.state, clock });
    // A session restored young but used past 23 h is renewed by the loop, with no data call.
    await expect(fetchOnce(later, old)).rejects.toThrow(SessionExpiredError);
    expect(later.state.data.has(STATE_KEYS.session)).toBe(false);
    const scope = share().post(LOGIN).reply(200, '"55555555-aaaa-bbbb-cccc-000000000003"');
    const fresh = await establish(later.driver);
    scope.done();
    expect(fresh).toMatchObject({ restored: false, establishedMs: clock.now });
  });

  it('a changed account name or server does not reuse the cached account id', async () => {
    const first = harness();
    loginOk();
    await establish(first.driver);
    // Step 1 again; the session (same account id, so the same account) may then be reused.
    const scope = share().post(AUTH).reply(200, JSON.stringify(fixture('authenticate')));
    await establish(harness({ accountName: 'other@example.test' }, { state: first.state }).driver);
    scope.done();
  });
});

describe('Dexcom Share errors on login (HTTP 500 + Code)', () => {
  it('AccountPasswordInvalid: DEX017 says refused password or migrated account and to log in at the app once, stop, says a wrong region looks the same, and is never retried until the config changes', async () => {
    const h = harness();
    share().post(AUTH).reply(500, fixture('password-invalid') as nock.Body);
    const error = await rejection(h.driver.session.authenticate(signal()));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('DEX017');
    expect(error.message).toBe('[DEX017] Dexcom Share: password refused or account migrated (AccountPasswordInvalid) — log in at the Dexcom app once');
    expect(error.message).not.toMatch(/refused the account name or password/);
    expect(error.hint).toMatch(/log in once with this account: a migrated account must sign in there/);
    expect(error.hint).toMatch(/wrong region looks exactly like a wrong password/);
    expect(classify(error, NOW)).toEqual({ action: 'stop' });
    expectNoSecrets(error);
    const record = JSON.stringify(h.state.data.get(STATE_KEYS.refused));
    expect(record).not.toContain(PASSWORD);

    // A restart with the same credentials: refused from the state store, no request (nock would throw).
    const again = await rejection(harness({}, { state: h.state }).driver.session.authenticate(signal()));
    expect(again.code).toBe('DEX003');
    expect(again.hint).toMatch(/log in at the Dexcom app once/);
    expect(again).toBeInstanceOf(AuthError);

    // A changed region tries again, even with the server pinned (the application id differs).
    const pinned = harness({ server: 'http://127.0.0.1:9' });
    nock('http://127.0.0.1:9').post(AUTH).reply(500, fixture('password-invalid') as nock.Body);
    expect((await rejection(pinned.driver.session.authenticate(signal()))).code).toBe('DEX017');
    nock('http://127.0.0.1:9').post(AUTH).reply(200, JSON.stringify(fixture('authenticate')));
    await harness({ server: 'http://127.0.0.1:9', region: 'jp' }, { state: pinned.state }).driver.session.authenticate(signal());

    // A changed password (or region/server) tries again.
    const scope = loginOk();
    await establish(harness({ password: new Secret('new-password') }, { state: h.state }).driver);
    scope.done();
    expect(h.state.data.has(STATE_KEYS.refused)).toBe(false);
  });

  it('AccountPasswordInvalid on step 2 (cached account id) is refused the same way', async () => {
    const first = harness();
    share().post(AUTH).reply(200, JSON.stringify(fixture('authenticate'))).post(LOGIN).reply(500, fixture('password-invalid') as nock.Body);
    const error = await rejection(establish(first.driver));
    expect(error.code).toBe('DEX017');
    expect((await rejection(establish(harness({}, { state: first.state }).driver))).code).toBe('DEX003');
  });

  it('SSO_AuthenticatePasswordInvalid and SSO_InternalError "Cannot Authenticate" are refusals too', async () => {
    share().post(AUTH).reply(500, fault('SSO_AuthenticatePasswordInvalid'));
    expect((await rejection(harness().driver.session.authenticate(signal()))).code).toBe('DEX002');
    share().post(AUTH).reply(500, fault('SSO_InternalError', 'Cannot Authenticate by AccountName'));
    expect((await rejection(harness().driver.session.authenticate(signal()))).code).toBe('DEX002');
  });

  it('SSO_AuthenticateMaxAttemptsExceeded: DEX004 locked, stop, and a restart does not knock for an hour', async () => {
    const h = harness();
    share().post(AUTH).reply(500, fault('SSO_AuthenticateMaxAttemptsExceeded', 'Maximum authentication attempts exceeded'));
    const error = await rejection(h.driver.session.authenticate(signal()));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('DEX004');
    expect(error.message).toMatch(/locked/);
    expect(classify(error, NOW)).toEqual({ action: 'stop' });
    const restart = await rejection(harness({}, { state: h.state, clock: { now: NOW + 30 * MIN } }).driver.session.authenticate(signal()));
    expect(restart).toBeInstanceOf(RateLimitError);
    expect(restart.code).toBe('DEX005');
    expect(restart.retryAfterMs).toBe(30 * MIN);
    const scope = loginOk();
    await establish(harness({}, { state: h.state, clock: { now: NOW + 61 * MIN } }).driver);
    scope.done();
  });

  it('an all-zero UUID is a failed login: DEX007, wait, never used as an id', async () => {
    const h = harness();
    share().post(AUTH).reply(200, '"00000000-0000-0000-0000-000000000000"');
    const error = await rejection(h.driver.session.authenticate(signal()));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.code).toBe('DEX007');
    expect(h.state.data.has(STATE_KEYS.account)).toBe(false);
    share().post(AUTH).reply(200, JSON.stringify(fixture('authenticate'))).post(LOGIN).reply(200, '"00000000-0000-0000-0000-000000000000"');
    expect((await rejection(establish(harness().driver))).code).toBe('DEX007');
  });

  it('InvalidArgument on login is DEX008 (configuration)', async () => {
    share().post(AUTH).reply(500, fault('InvalidArgument', 'Invalid argument accountName'));
    const error = await rejection(harness().driver.session.authenticate(signal()));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('DEX008');
  });

  it('unknown codes, bare HTTP errors, throttling, odd bodies and network failures', async () => {
    const cases: [nock.ReplyFnResult | 'network', string, unknown][] = [
      [[500, fault('SomethingNew')], 'DEX009', UpstreamError],
      [[502, ''], 'DEX010', UpstreamError],
      [[429, '', { 'Retry-After': '120' }], 'DEX011', RateLimitError],
      [[403, '<html>Cloudflare error 1015</html>', { 'Content-Type': 'text/html' }], 'DEX011', RateLimitError],
      [[200, '<html>maintenance</html>'], 'DEX012', UpstreamError],
      [[200, '"not-a-uuid"'], 'DEX012', UpstreamError],
      ['network', 'DEX013', NetworkError],
    ];
    for (const [reply, code, type] of cases) {
      const interceptor = share().post(AUTH);
      if (reply === 'network') interceptor.replyWithError('socket hang up');
      else interceptor.reply(...(reply as [number, string]));
      const error = await rejection(harness().driver.session.authenticate(signal()));
      expect(error.code, code).toBe(code);
      expect(error).toBeInstanceOf(type);
      expectNoSecrets(error);
    }
    const h = harness();
    share().post(AUTH).reply(429, '', { 'Retry-After': '120' });
    expect((await rejection(h.driver.session.authenticate(signal()))).retryAfterMs).toBe(120_000);
    expect(h.state.data.get(STATE_KEYS.lockout)).toMatchObject({ notBefore: NOW + 120_000 });
  });
});

describe('Dexcom Share errors on reading', () => {
  async function loggedIn(): Promise<{ h: Harness; session: ShareSession }> {
    const h = harness();
    loginOk();
    return { h, session: await establish(h.driver) };
  }

  it('SessionIdNotFound / SessionNotValid: DEX006 re-authenticate, the dead session is forgotten, re-login is step 2 only', async () => {
    for (const code of ['SessionIdNotFound', 'SessionNotValid']) {
      const { h, session } = await loggedIn();
      const body = code === 'SessionIdNotFound' ? (fixture('session-not-found') as nock.Body) : fault(code);
      share().post(READ).query(true).reply(500, body);
      const error = await rejection(fetchOnce(h, session));
      expect(error).toBeInstanceOf(SessionExpiredError);
      expect(error.code).toBe('DEX006');
      expect(classify(error, NOW)).toEqual({ action: 'reauthenticate' });
      expectNoSecrets(error);
      expect(h.state.data.has(STATE_KEYS.session)).toBe(false);
      const scope = share().post(LOGIN).reply(200, '"55555555-aaaa-bbbb-cccc-000000000009"');
      const fresh = await establish(h.driver);
      scope.done();
      expect(fresh.sessionId.reveal()).toBe('55555555-aaaa-bbbb-cccc-000000000009');
    }
  });

  it('AccountPasswordInvalid on a data call is a wait (reported as a 2026 rate limit), not a login storm', async () => {
    const { h, session } = await loggedIn();
    share().post(READ).query(true).reply(500, fixture('password-invalid') as nock.Body);
    const error = await rejection(fetchOnce(h, session));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.code).toBe('DEX011');
    expect(error.retryAfterMs).toBe(5 * MIN);
    expect(h.state.data.has(STATE_KEYS.refused)).toBe(false);
  });

  it('asks for minutes / maxCount from the gap', async () => {
    const { h, session } = await loggedIn();
    const scope = share().post(READ).query({ sessionId: SESSION_ID, minutes: '16', maxCount: '5' }).reply(200, []);
    await fetchOnce(h, session, { fromMs: NOW - 15 * MIN - 30_000, toMs: NOW });
    scope.done();
  });

  it('a body that is not an array is DEX012', async () => {
    const { h, session } = await loggedIn();
    share().post(READ).query(true).reply(200, { hello: 'world' });
    expect((await rejection(fetchOnce(h, session))).code).toBe('DEX012');
  });

  it('empty answers are no data; after a day of them one DEX016 hint about Share / followers', async () => {
    const { h, session } = await loggedIn();
    share().post(READ).query(true).times(4).reply(200, []);
    const loop = h.driver.loops[0]!;
    const warnings = (): string[] => h.captured.lines().filter((l) => l.level === 40).map((l) => String(l.msg));
    expect(loop.transform(await fetchOnce(h, session), WINDOW).entries).toEqual([]);
    h.clock.now = NOW + 12 * HOUR;
    await h.driver.loops[0]!.fetch({ ...session, establishedMs: h.clock.now }, WINDOW, signal());
    expect(warnings()).toEqual([]);
    h.clock.now = NOW + 24 * HOUR;
    await h.driver.loops[0]!.fetch({ ...session, establishedMs: h.clock.now }, WINDOW, signal());
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatch(/DEX016.*follower/);
    h.clock.now = NOW + 25 * HOUR;
    await h.driver.loops[0]!.fetch({ ...session, establishedMs: h.clock.now }, WINDOW, signal());
    expect(warnings(), 'once a day, not every poll').toHaveLength(1);
  });
});

describe('Dexcom Share registration', () => {
  it('is built by the registry, without I/O', async () => {
    const driver = await createDriver(settings(), testDriverContext(() => NOW));
    expect(driver.kind).toBe('dexcomshare');
    await expect(createDriver(settings({ server: 'ftp://x' }), testDriverContext(() => NOW))).rejects.toThrow(/DEX001/);
  });
});

import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, NetworkError, RateLimitError, UpstreamError } from '../../lib/errors.js';
import { Secret } from '../../lib/secret.js';
import { STATE_KEYS } from '../../sources/librelinkup/index.js';
import {
  EU,
  NOW,
  PASSWORD,
  PATIENT_ID,
  SERVER,
  USERNAME,
  USER_ID,
  expectNoSecrets,
  fixture,
  harness,
  rejection,
  sha256,
  signal,
} from '../fixtures/librelinkup/harness.js';

const MINUTE = 60_000;
const LOGIN = '/llu/auth/login';
const redirectTo = (region: string) => ({ status: 0, data: { redirect: true, region } });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('LibreLink Up login', () => {
  it('logs in with the app headers and sends account-id = sha256(user.id), not the patient id', async () => {
    const seen: Record<string, Record<string, unknown>> = {};
    let loginBody: unknown;
    nock(SERVER)
      .post(LOGIN)
      .reply(function (_uri, body) {
        seen.login = this.req.headers;
        loginBody = body;
        return [200, fixture('login-success')];
      })
      .get('/llu/connections')
      .reply(function () {
        seen.connections = this.req.headers;
        return [200, fixture('connections')];
      });
    const { driver } = harness({ server: SERVER });
    const auth = await driver.session.authenticate(signal());
    const session = await driver.session.authorize(auth, signal());

    expect(session.patientId).toBe(PATIENT_ID);
    expect(loginBody).toEqual({ email: USERNAME, password: PASSWORD });
    expect(seen.login).toMatchObject({ product: 'llu.ios', version: '4.16.0', 'content-type': 'application/json' });
    expect(seen.login!['account-id']).toBeUndefined();
    expect(seen.login!['authorization']).toBeUndefined();
    expect(seen.login!['user-agent']).toMatch(/iPhone.*Mobile.*Safari/);
    expect(seen.connections).toMatchObject({
      product: 'llu.ios',
      version: '4.16.0',
      'account-id': sha256(USER_ID),
      authorization: `Bearer ${fixture('login-success').data.authTicket.token}`,
      'cache-control': 'no-cache',
      'accept-encoding': 'gzip',
    });
    expect(seen.connections!['account-id']).not.toBe(sha256(PATIENT_ID));
    expect(seen.connections!['account-id']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('persists the 180-day ticket with its account hash, base URL, username and expiry', async () => {
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success'));
    const { driver, state } = harness({ server: SERVER });
    await driver.session.authenticate(signal());
    expect(state.data.get(STATE_KEYS.session)).toEqual({
      token: fixture('login-success').data.authTicket.token,
      expires: 1_779_352_000_000,
      accountId: sha256(USER_ID),
      baseUrl: SERVER,
      region: 'EU',
      configuredBaseUrl: SERVER,
      username: USERNAME,
      savedAt: NOW,
    });
  });

  it('honours configured version and product headers', async () => {
    let headers: Record<string, unknown> = {};
    nock(SERVER)
      .post(LOGIN)
      .reply(function () {
        headers = this.req.headers;
        return [200, fixture('login-success')];
      });
    await harness({ server: SERVER, version: '4.17.1', product: 'llu.android' }).driver.session.authenticate(signal());
    expect(headers).toMatchObject({ version: '4.17.1', product: 'llu.android' });
  });
});

describe('LibreLink Up region redirects', () => {
  it('follows one redirect to the named region and tells the user which region to configure', async () => {
    nock(EU).post(LOGIN).reply(200, fixture('login-redirect'));
    const eu2 = nock('https://api-eu2.libreview.io').post(LOGIN).reply(200, fixture('login-success'));
    const { driver, captured, state } = harness();
    const auth = (await driver.session.authenticate(signal())) as { baseUrl: string };
    expect(eu2.isDone()).toBe(true);
    expect(auth.baseUrl).toBe('https://api-eu2.libreview.io');
    const warning = captured.lines().find((l) => l.level === 40);
    expect(warning?.msg).toContain('CONNECT_LINK_UP_REGION=EU2');
    expect(state.data.get(STATE_KEYS.session)).toMatchObject({ baseUrl: 'https://api-eu2.libreview.io', configuredBaseUrl: EU, region: 'EU2' });
  });

  it('follows two redirects', async () => {
    nock(EU).post(LOGIN).reply(200, redirectTo('de'));
    nock('https://api-de.libreview.io').post(LOGIN).reply(200, redirectTo('fr'));
    nock('https://api-fr.libreview.io').post(LOGIN).reply(200, fixture('login-success'));
    const auth = (await harness().driver.session.authenticate(signal())) as { baseUrl: string; region: string };
    expect(auth).toMatchObject({ baseUrl: 'https://api-fr.libreview.io', region: 'FR' });
  });

  it('refuses a third redirect', async () => {
    nock(EU).post(LOGIN).reply(200, redirectTo('de'));
    nock('https://api-de.libreview.io').post(LOGIN).reply(200, redirectTo('fr'));
    nock('https://api-fr.libreview.io').post(LOGIN).reply(200, redirectTo('au'));
    const au = nock('https://api-au.libreview.io').post(LOGIN).reply(200, fixture('login-success'));
    const error = await rejection(harness().driver.session.authenticate(signal()));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('LLU013');
    expect(error.hint).toContain('AU');
    expect(au.isDone()).toBe(false);
  });

  it('refuses a redirect loop back to a region already tried', async () => {
    nock(EU).post(LOGIN).reply(200, redirectTo('eu2'));
    nock('https://api-eu2.libreview.io').post(LOGIN).reply(200, redirectTo('eu'));
    const again = nock(EU).post(LOGIN).reply(200, fixture('login-success'));
    const error = await rejection(harness().driver.session.authenticate(signal()));
    expect(error.code).toBe('LLU012');
    expect(again.isDone()).toBe(false);
  });

  it('refuses a redirect to the host it is already on', async () => {
    nock('https://api-eu2.libreview.io').post(LOGIN).reply(200, redirectTo('gb'));
    const error = await rejection(harness({ region: 'UK' }).driver.session.authenticate(signal()));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('LLU012');
  });

  it('refuses a redirect to a region it does not know', async () => {
    nock(EU).post(LOGIN).reply(200, redirectTo('mars'));
    const error = await rejection(harness().driver.session.authenticate(signal()));
    expect(error.code).toBe('LLU011');
  });

  it('with a configured server, stays on it but still counts hops and logs the region', async () => {
    const server = nock(SERVER).post(LOGIN).reply(200, redirectTo('eu2')).post(LOGIN).reply(200, fixture('login-success'));
    const { driver, captured } = harness({ server: SERVER });
    const auth = (await driver.session.authenticate(signal())) as { baseUrl: string; region: string };
    expect(server.isDone()).toBe(true);
    expect(auth).toMatchObject({ baseUrl: SERVER, region: 'EU2' });
    expect(captured.text()).toContain('CONNECT_LINK_UP_REGION=EU2');
    expect(captured.text()).toContain(`staying on the configured server ${SERVER}`);
  });

  it('with a configured server, refuses a repeated region and a third hop', async () => {
    nock(SERVER).post(LOGIN).reply(200, redirectTo('eu2')).post(LOGIN).reply(200, redirectTo('eu2'));
    expect((await rejection(harness({ server: SERVER }).driver.session.authenticate(signal()))).code).toBe('LLU012');
    nock(SERVER).post(LOGIN).reply(200, redirectTo('de')).post(LOGIN).reply(200, redirectTo('fr')).post(LOGIN).reply(200, redirectTo('au'));
    expect((await rejection(harness({ server: SERVER }).driver.session.authenticate(signal()))).code).toBe('LLU013');
  });
});

describe('LibreLink Up bad credentials', () => {
  it('stops with a hint about the follower account and never logs in again with the same credentials', async () => {
    const login = nock(SERVER).post(LOGIN).once().reply(200, fixture('login-bad-credentials'));
    const first = harness({ server: SERVER });
    const error = await rejection(first.driver.session.authenticate(signal()));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('LLU003');
    expect(error.message).toContain('notAuthenticated');
    expect(error.hint).toContain('LibreLinkUp app');
    expect(error.hint).toContain('follower account');
    expectNoSecrets(error);
    expect(login.isDone()).toBe(true);

    // No interceptor is left: any request would fail as a NetworkError, not LLU004.
    const again = await rejection(first.driver.session.authenticate(signal()));
    expect(again).toBeInstanceOf(AuthError);
    expect(again.code).toBe('LLU004');

    const restarted = harness({ server: SERVER }, { state: first.state });
    expect((await rejection(restarted.driver.session.authenticate(signal()))).code).toBe('LLU004');
  });

  it('keeps a salted scrypt fingerprint, never the password or a plain hash of it', async () => {
    nock(SERVER).post(LOGIN).twice().reply(200, fixture('login-bad-credentials'));
    const a = harness({ server: SERVER });
    const b = harness({ server: SERVER });
    await rejection(a.driver.session.authenticate(signal()));
    await rejection(b.driver.session.authenticate(signal()));
    const recordA = a.state.data.get(STATE_KEYS.refused) as Record<string, unknown>;
    const recordB = b.state.data.get(STATE_KEYS.refused) as Record<string, unknown>;
    expect(recordA).toMatchObject({ refused: true, at: NOW });
    const text = JSON.stringify(recordA);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(sha256(PASSWORD));
    expect(recordA.salt).not.toBe(recordB.salt);
    expect(recordA.fingerprint).not.toBe(recordB.fingerprint);
  });

  it('tries again once the password changes, and forgets the refusal after a success', async () => {
    nock(SERVER).post(LOGIN).reply(200, fixture('login-bad-credentials'));
    const { state } = harness({ server: SERVER });
    await rejection(harness({ server: SERVER }, { state }).driver.session.authenticate(signal()));
    const retry = nock(SERVER).post(LOGIN).reply(200, fixture('login-success'));
    await harness({ server: SERVER, password: new Secret('the-new-password') }, { state }).driver.session.authenticate(signal());
    expect(retry.isDone()).toBe(true);
    expect(state.data.has(STATE_KEYS.refused)).toBe(false);
  });

  it('tries again when the region changes (RU accounts look like bad credentials elsewhere)', async () => {
    nock(EU).post(LOGIN).reply(200, fixture('login-bad-credentials'));
    const { state } = harness();
    await rejection(harness({}, { state }).driver.session.authenticate(signal()));
    const ru = nock('https://api.libreview.ru').post(LOGIN).reply(200, fixture('login-success'));
    await harness({ region: 'RU' }, { state }).driver.session.authenticate(signal());
    expect(ru.isDone()).toBe(true);
  });
});

describe('LibreLink Up account actions', () => {
  it.each([
    ['tou', 'terms of use'],
    ['pp', 'privacy policy'],
  ])('stops on a new %s unless acceptTerms is set', async (type, document) => {
    const step = fixture('login-terms');
    step.data.step.type = type;
    nock(SERVER).post(LOGIN).reply(200, step);
    const accept = nock(SERVER).post(`/auth/continue/${type}`).reply(200, fixture('login-success'));
    const error = await rejection(harness({ server: SERVER }).driver.session.authenticate(signal()));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('LLU008');
    expect(error.message).toContain('accept the new terms in the LibreLinkUp app');
    expect(error.message).toContain(document);
    expect(error.hint).toContain('CONNECT_LINK_UP_ACCEPT_TERMS');
    expect(accept.isDone()).toBe(false);
    expectNoSecrets(error);
  });

  it('with acceptTerms, accepts each document with its step token and goes on with the returned ticket', async () => {
    const pp = fixture('login-terms');
    pp.data.step.type = 'pp';
    pp.data.authTicket.token = 'step.token.pp';
    const auths: unknown[] = [];
    nock(SERVER)
      .post(LOGIN)
      .reply(200, fixture('login-terms'))
      .post('/auth/continue/tou')
      .reply(function () {
        auths.push(this.req.headers.authorization);
        return [200, pp];
      })
      .post('/auth/continue/pp')
      .reply(function () {
        auths.push(this.req.headers.authorization);
        return [200, fixture('login-success')];
      });
    const { driver, captured } = harness({ server: SERVER, acceptTerms: true });
    const auth = (await driver.session.authenticate(signal())) as { accountId: string };
    expect(auths).toEqual(['Bearer step.token.x', 'Bearer step.token.pp']);
    expect(auth.accountId).toBe(sha256(USER_ID));
    expect(captured.text()).toContain('acceptTerms is set');
  });

  it('with acceptTerms, gives up after four steps', async () => {
    let continues = 0;
    nock(SERVER)
      .post(LOGIN)
      .reply(200, fixture('login-terms'))
      .post('/auth/continue/tou')
      .times(10)
      .reply(() => {
        continues += 1;
        return [200, fixture('login-terms')];
      });
    const error = await rejection(harness({ server: SERVER, acceptTerms: true }).driver.session.authenticate(signal()));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('LLU010');
    expect(continues).toBe(4);
  });

  it('stops on verifyEmail, even with acceptTerms', async () => {
    const step = fixture('login-terms');
    step.data.step.type = 'verifyEmail';
    nock(SERVER).post(LOGIN).reply(200, step);
    const error = await rejection(harness({ server: SERVER, acceptTerms: true }).driver.session.authenticate(signal()));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('LLU009');
    expect(error.message).toContain('e-mail');
  });
});

describe('LibreLink Up lockouts and throttling', () => {
  it('waits out a 429 "locked" lockout, persisted, without logging in inside it', async () => {
    nock(SERVER).post(LOGIN).reply(200, fixture('login-locked'));
    const { driver, state, clock } = harness({ server: SERVER });
    const error = await rejection(driver.session.authenticate(signal()));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.code).toBe('LLU005');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(300_000);
    const lockout = state.data.get(STATE_KEYS.lockout) as { notBefore: number };
    expect(lockout.notBefore).toBe(NOW + error.retryAfterMs!);

    clock.now = NOW + 100_000;
    const inside = await rejection(driver.session.authenticate(signal()));
    expect(inside).toBeInstanceOf(RateLimitError);
    expect(inside.code).toBe('LLU006');
    expect(inside.retryAfterMs).toBe(lockout.notBefore - clock.now);

    const restarted = harness({ server: SERVER }, { state, clock });
    expect((await rejection(restarted.driver.session.authenticate(signal()))).code).toBe('LLU006');

    clock.now = lockout.notBefore + 1;
    const after = nock(SERVER).post(LOGIN).reply(200, fixture('login-success'));
    await restarted.driver.session.authenticate(signal());
    expect(after.isDone()).toBe(true);
    expect(state.data.has(STATE_KEYS.lockout)).toBe(false);
  });

  it('also reads a lockout sent with HTTP 429', async () => {
    nock(SERVER).post(LOGIN).reply(429, fixture('login-locked'));
    expect((await rejection(harness({ server: SERVER }).driver.session.authenticate(signal()))).code).toBe('LLU005');
  });

  it.each([
    ['HTTP 430 with an empty body', 430, '', {}],
    ['HTTP 429 without a body', 429, '', {}],
    ['a Cloudflare HTML page', 403, '<!DOCTYPE html><html><title>Access denied | used Cloudflare to restrict access</title></html>', { 'content-type': 'text/html' }],
    ['an HTML page with status 200', 200, '<html><body>banned you temporarily</body></html>', {}],
  ])('backs off 10–20 min, jittered, on %s', async (_name, status, body, headers) => {
    for (const [rand, expected] of [[0, 10 * MINUTE], [1, 20 * MINUTE]] as const) {
      nock(SERVER).post(LOGIN).reply(status, body, headers);
      const { driver, state } = harness({ server: SERVER }, { rand: () => rand });
      const error = await rejection(driver.session.authenticate(signal()));
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error.code).toBe('LLU007');
      expect(error.retryAfterMs).toBe(expected);
      expect(state.data.get(STATE_KEYS.lockout)).toMatchObject({ notBefore: NOW + expected });
    }
  });

  it('never backs off less than Retry-After says', async () => {
    nock(SERVER).post(LOGIN).reply(429, '', { 'retry-after': '3600' });
    const error = await rejection(harness({ server: SERVER }).driver.session.authenticate(signal()));
    expect(error.retryAfterMs).toBe(3_600_000);
  });
});

describe('LibreLink Up login failures that are not the user', () => {
  it('reads a truncated JSON body as an upstream error, without crashing', async () => {
    const text = JSON.stringify(fixture('login-success')).slice(0, 120);
    nock(SERVER).post(LOGIN).reply(200, text, { 'content-type': 'application/json' });
    const error = await rejection(harness({ server: SERVER }).driver.session.authenticate(signal()));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.code).toBe('LLU023');
    expectNoSecrets(error);
  });

  it('reads status 0 without a ticket as an upstream error', async () => {
    nock(SERVER).post(LOGIN).reply(200, { status: 0, data: { user: { id: USER_ID } } });
    expect((await rejection(harness({ server: SERVER }).driver.session.authenticate(signal()))).code).toBe('LLU023');
  });

  it('says to fix the region on status 911', async () => {
    nock(SERVER).post(LOGIN).reply(200, { status: 911 });
    const error = await rejection(harness({ server: SERVER }).driver.session.authenticate(signal()));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('LLU014');
  });

  it('retries a 5xx and an unknown status, and maps a transport failure to NetworkError without the request', async () => {
    nock(SERVER).post(LOGIN).reply(502, 'bad gateway');
    const bad = await rejection(harness({ server: SERVER }).driver.session.authenticate(signal()));
    expect(bad).toMatchObject({ code: 'LLU022', status: 502 });
    nock(SERVER).post(LOGIN).reply(200, { status: 7, error: { message: 'somethingNew' } });
    expect((await rejection(harness({ server: SERVER }).driver.session.authenticate(signal()))).code).toBe('LLU024');
    nock(SERVER).post(LOGIN).replyWithError('socket hang up');
    const down = await rejection(harness({ server: SERVER }).driver.session.authenticate(signal()));
    expect(down).toBeInstanceOf(NetworkError);
    expect(down.code).toBe('LLU025');
    expect((down.cause as Error).message).toContain('socket hang up');
    expectNoSecrets(down);
  });
});

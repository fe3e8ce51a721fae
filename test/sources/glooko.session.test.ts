import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, RateLimitError, SessionExpiredError } from '../../lib/errors.js';
import { Secret } from '../../lib/secret.js';
import { STATE_KEYS } from '../../sources/glooko/index.js';
import { DEVICE_PROFILE } from '../../sources/glooko/device.js';
import { memoryStateStore } from '../fakes/driver-context.js';
import { CODE, COOKIE, COOKIE_VALUE, EMAIL, establish, expectNoSecrets, fixture, harness, NOW, PASSWORD, rejection, signal, US } from '../fixtures/glooko/harness.js';

/** The Glooko sign-in against nock, with synthetic fixtures. */

const SIGN_IN = '/api/v2/users/sign_in';
const USERS = '/api/v3/session/users';
const HOUR = 3_600_000;

function signInOk(scope = nock(US), body: unknown = fixture('sign-in')): nock.Scope {
  return scope.post(SIGN_IN).reply(200, body as nock.Body, { 'set-cookie': COOKIE });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('Glooko sign-in', () => {
  it('sends the full device block with browser headers, keeps the cookie, reads the zone from session/users', async () => {
    const h = harness();
    const bodies: Record<string, unknown>[] = [];
    const scope = nock(US)
      .post(SIGN_IN, (b: Record<string, unknown>) => (bodies.push(b), true))
      .matchHeader('origin', 'https://my.glooko.com')
      .matchHeader('referer', 'https://my.glooko.com/')
      .matchHeader('accept', 'application/json, text/plain, */*')
      .reply(200, fixture('sign-in'), { 'set-cookie': COOKIE })
      .get(USERS)
      .matchHeader('cookie', `_logbook-web_session=${COOKIE_VALUE}`)
      .reply(200, fixture('session-users'));
    const session = await establish(h.driver);
    scope.done();
    expect(bodies[0]).toEqual({
      userLogin: { email: EMAIL, password: PASSWORD },
      deviceInformation: { ...DEVICE_PROFILE, deviceId: expect.stringMatching(/^[0-9a-f]{16}$/), serialNumber: expect.stringMatching(/^[0-9a-f]{24}$/) },
    });
    expect(session).toMatchObject({ glookoCode: CODE, zone: { kind: 'iana', name: 'Europe/Berlin' }, meterUnits: 'mgdl', baseUrl: US, establishedMs: NOW });
    expect(h.state.data.get(STATE_KEYS.session)).toMatchObject({ glookoCode: CODE, accountZone: 'Europe/Berlin', email: EMAIL, savedAt: NOW });
    expect(JSON.stringify(h.state.data.get(STATE_KEYS.session))).not.toContain(PASSWORD);
    expect(h.captured.text()).not.toContain(PASSWORD);
    expect(h.captured.text()).not.toContain(COOKIE_VALUE);
  });

  it('the device id is made once per install and sent on every later sign-in; a configured one wins', async () => {
    const state = memoryStateStore();
    const ids: unknown[] = [];
    const record = (b: { deviceInformation: { deviceId: string; serialNumber: string } }) => (ids.push(b.deviceInformation), true);
    nock(US).post(SIGN_IN, record).times(2).reply(200, fixture('sign-in'), { 'set-cookie': COOKIE }).get(USERS).times(2).reply(200, fixture('session-users'));
    await establish(harness({}, { state }).driver);
    state.data.delete(STATE_KEYS.session);
    await establish(harness({}, { state }).driver);
    expect(ids[0]).toEqual(ids[1]);
    const { deviceId, serialNumber } = ids[0] as { deviceId: string; serialNumber: string };
    expect(state.data.get(STATE_KEYS.device)).toMatchObject({ deviceId, serialNumber });

    nock(US).post(SIGN_IN, record).reply(200, fixture('sign-in'), { 'set-cookie': COOKIE }).get(USERS).reply(200, fixture('session-users'));
    await establish(harness({ deviceId: 'my-phone', serialNumber: 'SN1' }).driver);
    expect(ids[2]).toMatchObject({ deviceId: 'my-phone', serialNumber: 'SN1' });
  });

  it('takes the patient code from session/users when the sign-in body has none', async () => {
    const h = harness();
    signInOk(nock(US), { userLogin: { email: EMAIL } }).get(USERS).reply(200, { currentPatient: { glookoCode: 'from-users' }, currentUser: { timezone: 'America/New_York' } });
    const session = await establish(h.driver);
    expect(session).toMatchObject({ glookoCode: 'from-users', zone: { name: 'America/New_York' } });
  });

  it('no code anywhere → GLK012; no zone and none configured → GLK013; a configured zone or offset wins over the account’s', async () => {
    signInOk(nock(US), { userLogin: {} }).get(USERS).reply(200, { currentUser: { timezone: 'Europe/Berlin' } });
    expect((await rejection(establish(harness().driver))).code).toBe('GLK012');
    signInOk().get(USERS).reply(200, { currentUser: { timezone: 'Mars/Olympus' } });
    expect((await rejection(establish(harness().driver))).code).toBe('GLK013');

    signInOk().get(USERS).reply(200, fixture('session-users'));
    expect((await establish(harness({ timezone: 'Asia/Tokyo' }).driver)).zone).toEqual({ kind: 'iana', name: 'Asia/Tokyo' });
    const h = harness({ timezoneOffset: 2 });
    signInOk().get(USERS).reply(200, fixture('session-users'));
    expect((await establish(h.driver)).zone).toEqual({ kind: 'fixed', minutes: 120 });
    expect(h.captured.text()).toContain('GLK018');
  });

  it('a restart reuses the persisted session (no sign-in); after 23 h it signs in again', async () => {
    const state = memoryStateStore();
    const clock = { now: NOW };
    signInOk().get(USERS).reply(200, fixture('session-users'));
    await establish(harness({}, { state, clock }).driver);
    const again = await establish(harness({}, { state, clock }).driver);
    expect(again).toMatchObject({ glookoCode: CODE, zone: { name: 'Europe/Berlin' }, establishedMs: NOW });
    expect(await again.jar.getCookieString(US)).toBe(`_logbook-web_session=${COOKIE_VALUE}`);
    clock.now += 23 * HOUR;
    const scope = signInOk().get(USERS).reply(200, fixture('session-users'));
    await establish(harness({}, { state, clock }).driver);
    scope.done();
  });

  it('a refused password (401) → GLK002, remembered: the next start does not try again (GLK003)', async () => {
    const state = memoryStateStore();
    const scope = nock(US).post(SIGN_IN).reply(401, { error: 'Invalid email or password.' });
    const first = await rejection(establish(harness({}, { state }).driver));
    expect(first).toBeInstanceOf(AuthError);
    expect(first.code).toBe('GLK002');
    expectNoSecrets(first);
    const second = await rejection(establish(harness({}, { state }).driver));
    expect(second.code).toBe('GLK003');
    scope.done();
    // A changed password is tried.
    signInOk().get(USERS).reply(200, fixture('session-users'));
    await establish(harness({ password: new Secret('new-password') }, { state }).driver);
  });

  it.each([
    ['twoFaRequired', { twoFaRequired: true }],
    ['two_fa_required', { two_fa_required: true }],
  ])('a two-step account (%s) gets GLK004, not supported, and is not tried again', async (_name, body) => {
    const state = memoryStateStore();
    nock(US).post(SIGN_IN).reply(200, body);
    const error = await rejection(establish(harness({}, { state }).driver));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('GLK004');
    expect(error.hint).toMatch(/two-step/);
    expect((await rejection(establish(harness({}, { state }).driver))).code).toBe('GLK003');
  });

  it('a 401 mentioning two-step verification is GLK004 too', async () => {
    nock(US).post(SIGN_IN).reply(401, { error: 'Two-step verification required' });
    expect((await rejection(establish(harness().driver))).code).toBe('GLK004');
  });

  it('422 on the API sign-in → the web form: token from the page, form post, session cookie from the redirect', async () => {
    const h = harness();
    const forms: unknown[] = [];
    const page = '<html><head><meta name="csrf-token" content="meta-token"></head><form><input type="hidden" name="authenticity_token" value="form-token"></form></html>';
    const scope = nock(US)
      .post(SIGN_IN)
      .reply(422, { error: 'InvalidAuthenticityToken' })
      .get('/users/sign_in')
      .query({ locale: 'en-GB' })
      .reply(200, page, { 'set-cookie': '_logbook-web_session=pre; path=/', 'content-type': 'text/html' })
      .post('/users/sign_in', (b: unknown) => (forms.push(b), true))
      .query({ id: 'login_form' })
      .matchHeader('content-type', 'application/x-www-form-urlencoded')
      .matchHeader('cookie', '_logbook-web_session=pre')
      .reply(302, '', { location: 'https://my.glooko.com/', 'set-cookie': COOKIE })
      .get(USERS)
      .matchHeader('cookie', `_logbook-web_session=${COOKIE_VALUE}`)
      .reply(200, fixture('session-users'));
    const session = await establish(h.driver);
    scope.done();
    expect(session.glookoCode).toBe(CODE);
    expect({ ...(forms[0] as object) }).toEqual({ authenticity_token: 'form-token', 'user[email]': EMAIL, 'user[password]': PASSWORD, language: 'en', redirect_to: '/' });
  });

  it('the web form: a page without a token → GLK009; the form again → GLK002; authMode api keeps 422 as GLK011', async () => {
    nock(US).post(SIGN_IN).reply(422, {}).get('/users/sign_in').query(true).reply(200, '<html></html>');
    expect((await rejection(establish(harness().driver))).code).toBe('GLK009');
    nock(US)
      .post(SIGN_IN)
      .reply(422, {})
      .get('/users/sign_in')
      .query(true)
      .reply(200, '<input name="authenticity_token" value="t">')
      .post('/users/sign_in')
      .query(true)
      .reply(200, '<form action="/users/sign_in"></form>', { 'content-type': 'text/html' });
    expect((await rejection(establish(harness().driver))).code).toBe('GLK002');
    nock(US).post(SIGN_IN).reply(422, {});
    const api = await rejection(establish(harness({ authMode: 'api' }).driver));
    expect(api.code).toBe('GLK011');
  });

  it('authMode web goes straight to the form', async () => {
    const scope = nock(US)
      .get('/users/sign_in')
      .query(true)
      .reply(200, '<input type="hidden" value="tok" name="authenticity_token">')
      .post('/users/sign_in')
      .query(true)
      .reply(302, '', { location: '/', 'set-cookie': COOKIE })
      .get(USERS)
      .reply(200, fixture('session-users'));
    await establish(harness({ authMode: 'web' }).driver);
    scope.done();
  });

  it('429 on the sign-in → GLK007 with Retry-After, and no sign-in before then, even after a restart (GLK005)', async () => {
    const state = memoryStateStore();
    const clock = { now: NOW };
    nock(US).post(SIGN_IN).reply(429, {}, { 'retry-after': '120' });
    const error = await rejection(establish(harness({}, { state, clock }).driver));
    expect(error).toBeInstanceOf(RateLimitError);
    expect([error.code, error.retryAfterMs]).toEqual(['GLK007', 120_000]);
    const waiting = await rejection(establish(harness({}, { state, clock }).driver));
    expect(waiting.code).toBe('GLK005');
    clock.now += 121_000;
    signInOk().get(USERS).reply(200, fixture('session-users'));
    await establish(harness({}, { state, clock }).driver);
  });

  it('a sign-in answer without the session cookie → GLK009', async () => {
    nock(US).post(SIGN_IN).reply(200, fixture('sign-in'));
    expect((await rejection(establish(harness().driver))).code).toBe('GLK009');
  });

  it('a restored session that Glooko no longer knows: the data call’s 401 drops it, the next establish signs in', async () => {
    const state = memoryStateStore();
    signInOk().get(USERS).reply(200, fixture('session-users'));
    await establish(harness({}, { state }).driver);
    const h = harness({}, { state });
    const session = await establish(h.driver);
    nock(US).get('/api/v2/cgm/egvs').query(true).reply(401, { error: 'You need to sign in' });
    const error = await rejection(h.driver.loops[0]!.fetch(session, { fromMs: NOW - HOUR, toMs: NOW }, signal()));
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect(error.code).toBe('GLK006');
    expect(state.data.has(STATE_KEYS.session)).toBe(false);
    const scope = signInOk().get(USERS).reply(200, fixture('session-users'));
    await establish(h.driver);
    scope.done();
  });

  it('regions pick the host and the web origin; a server overrides the host', async () => {
    const eu = harness({ region: 'eu' }).driver;
    expect(eu.baseUrl).toBe('https://eu.api.glooko.com');
    nock('https://de-fr.api.glooko.com').post(SIGN_IN).matchHeader('origin', 'https://de-fr.my.glooko.com').reply(200, fixture('sign-in'), { 'set-cookie': COOKIE }).get(USERS).reply(200, fixture('session-users'));
    await establish(harness({ region: 'de-fr' }).driver);
    expect(harness({ server: 'ca.api.glooko.com' }).driver.baseUrl).toBe('https://ca.api.glooko.com');
    expect(harness({ server: 'http://127.0.0.1:9999/' }).driver.baseUrl).toBe('http://127.0.0.1:9999');
    expect(() => harness({ server: 'ftp://x' })).toThrow(/GLK001/);
  });
});

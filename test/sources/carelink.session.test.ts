import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, classify, ConfigError, NetworkError, RateLimitError, UpstreamError } from '../../lib/errors.js';
import { Secret } from '../../lib/secret.js';
import { STATE_KEYS } from '../../sources/carelink/index.js';
import { createDriverNow } from '../../sources/eager.js';
import type { LoginRecord } from '../../sources/carelink/persisted.js';
import {
  ACCESS,
  CARELINK,
  CLOUD,
  DISCOVERY_PATH,
  establish,
  expectNoSecrets,
  fixture,
  harness,
  LOGIN_HOST,
  NOW,
  REFRESH,
  rejection,
  savedLogin,
  settings,
  signal,
  type Harness,
} from '../fixtures/carelink/harness.js';

const WINDOW = { fromMs: NOW - 86_400_000, toMs: NOW };
const ROTATED = 'v1.rotated-refresh';
const NEW_ACCESS = 'eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE3NjM4MTM2MDB9.new';

function discovery(): nock.Scope {
  return nock(CLOUD).get(DISCOVERY_PATH).reply(200, fixture('discovery')).get('/auth0-sso.json').reply(200, fixture('sso-config'));
}

/** users/me + links + monitor/data for the spec's care partner with a BLE pump. */
function carePartner(token = ACCESS, family = 'BLE_MINIMED'): nock.Scope {
  return nock(CARELINK, { reqheaders: { authorization: `Bearer ${token}` } })
    .get('/patient/users/me')
    .reply(200, fixture('users-me'))
    .get('/patient/m2m/links/patients')
    .reply(200, fixture<nock.Body>('links-patients'))
    .get('/patient/monitor/data')
    .reply(200, { deviceFamily: family });
}

function login(h: Harness): LoginRecord {
  return h.state.data.get(STATE_KEYS.login) as LoginRecord;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('CareLink session and data endpoints', () => {
  it('care partner with a BLE pump: display/message with the spec\'s body, the patientData wrapper removed', async () => {
    const h = harness({ countryCode: 'gb' });
    discovery();
    carePartner();
    let body: unknown;
    nock(CLOUD, { reqheaders: { authorization: `Bearer ${ACCESS}` } })
      .post('/connect/carepartner/v13/display/message', (b: unknown) => ((body = b), true))
      .reply(200, fixture('display-message'));
    const session = await establish(h.driver);
    expect(session).toMatchObject({ username: 'cp_follower1', carePartner: true, patient: 'pt_user1', route: 'ble', family: 'BLE_MINIMED' });
    const raw = await h.driver.loops[0]!.fetch(session, WINDOW, signal());
    expect(body).toEqual({ username: 'cp_follower1', role: 'carepartner', patientId: 'pt_user1' });
    expect(raw).toEqual(fixture<{ patientData: unknown }>('display-message').patientData);
    const batch = h.driver.loops[0]!.transform(raw, WINDOW);
    expect([batch.entries.length, batch.treatments.length, batch.devicestatus.length]).toEqual([2, 1, 1]);
    expect(h.driver).toMatchObject({ kind: 'minimedcarelink', device: 'carelink' });
    expect(h.driver.loops[0]).toMatchObject({ collections: ['entries', 'treatments', 'devicestatus'], historyMs: 86_400_000, expectedIntervalMs: 300_000, minIntervalMs: 60_000 });
    expect(h.captured.text()).not.toContain(ACCESS);
    expect(h.captured.text()).not.toContain(REFRESH);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('patient account: a MiniMed in the recent uploads routes to display/message with role patient, and a warning about the one-login rule', async () => {
    const h = harness();
    discovery();
    let body: unknown;
    nock(CARELINK)
      .get('/patient/users/me')
      .reply(200, { ...fixture('users-me'), username: 'pt_self', role: 'PATIENT_OUS' })
      .get('/patient/monitor/data')
      .reply(200, { medicalDeviceFamily: 'NGP' })
      .get('/patient/dataUpload/recentUploads')
      .query({ numUploads: '30' })
      .reply(200, { recentUploads: [{ device: 'MiniMed 780G' }] });
    nock(CLOUD).post('/connect/carepartner/v13/display/message', (b: unknown) => ((body = b), true)).reply(200, fixture('display-message'));
    const session = await establish(h.driver);
    expect(session).toMatchObject({ carePartner: false, patient: 'pt_self', route: 'ble' });
    await h.driver.loops[0]!.fetch(session, WINDOW, signal());
    expect(body).toEqual({ username: 'pt_self', role: 'patient' });
    expect(h.captured.text()).toMatch(/patient account.*revokes these tokens/);
  });

  it('Guardian: classic connect/data for a patient, the M2M patient endpoint for a multi-follow care partner (answers without a wrapper)', async () => {
    const classic = { currentServerTime: NOW, lastMedicalDeviceDataUpdateServerTime: NOW - 120_000, sMedicalDeviceTime: 'Nov 22, 2025 11:18:00', lastSGTrend: 'NONE', sgs: [{ ...fixture('classic-sg'), datetime: 'Nov 22, 2025 11:15:00' }], medicalDeviceFamily: 'GUARDIAN' };
    const p = harness();
    discovery();
    nock(CARELINK)
      .get('/patient/users/me')
      .reply(200, { username: 'pt_self', role: 'PATIENT' })
      .get('/patient/monitor/data')
      .reply(200, { deviceFamily: 'GUARDIAN' })
      .get('/patient/dataUpload/recentUploads')
      .query(true)
      .reply(200, { recentUploads: [{ device: 'Guardian Connect' }] })
      .get('/patient/connect/data')
      .query({ cpSerialNumber: 'NONE', msgType: 'last24hours', requestTime: String(NOW) })
      .reply(200, classic);
    const patientSession = await establish(p.driver);
    expect(patientSession.route).toBe('classic');
    const batch = p.driver.loops[0]!.transform(await p.driver.loops[0]!.fetch(patientSession, WINDOW, signal()), WINDOW);
    expect(batch.entries).toEqual([expect.objectContaining({ sgv: 128, date: Date.parse('2025-11-22T10:15:00Z'), utcOffset: 60, direction: 'Flat' })]);

    const cp = harness();
    discovery();
    carePartner(ACCESS, 'GUARDIAN')
      .get('/patient/configuration/system/personal.cp.m2m.enabled')
      .reply(200, { value: true })
      .get('/patient/m2m/connect/data/gc/patients/pt_user1')
      .query(true)
      .reply(200, classic);
    const cpSession = await establish(cp.driver);
    expect(cpSession.route).toBe('m2m');
    expect(await cp.driver.loops[0]!.fetch(cpSession, WINDOW, signal())).toEqual(classic);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('several linked patients: refuses to guess and lists them (CL014); a pin picks one (case-insensitive); an unknown pin is CL015; none linked is CL013', async () => {
    const two = [{ username: 'pt_user1', firstName: 'Pat', lastName: 'Ient' }, { username: 'kid2', firstName: 'Kim' }];
    const links = (patients: unknown): void => {
      discovery();
      nock(CARELINK).get('/patient/users/me').reply(200, fixture('users-me')).get('/patient/m2m/links/patients').reply(200, patients as nock.Body);
    };
    links(two);
    const guess = await rejection(establish(harness().driver));
    expect(guess).toBeInstanceOf(ConfigError);
    expect(guess.code).toBe('CL014');
    expect(guess.message).toContain('pt_user1 (Pat Ient), kid2 (Kim)');
    expect(guess.hint).toContain('CONNECT_CARELINK_PATIENT_USERNAME');

    links(two);
    nock(CARELINK).get('/patient/monitor/data').reply(200, { deviceFamily: 'SIMPLERA' });
    expect((await establish(harness({ patientUsername: 'KID2' }).driver)).patient).toBe('kid2');

    links(two);
    expect((await rejection(establish(harness({ patientUsername: 'nobody' }).driver))).code).toBe('CL015');
    links([]);
    expect((await rejection(establish(harness().driver))).code).toBe('CL013');
  });

  it('no saved login is CL003 and a login saved for another region is CL007, both before any request', async () => {
    const none = await rejection(establish(harness({}, null).driver));
    expect(none).toBeInstanceOf(AuthError);
    expect(none.code).toBe('CL003');
    expect(none.hint).toContain('gluco-hub login carelink');
    const region = await rejection(establish(harness({ region: 'us' }).driver));
    expect(region.code).toBe('CL007');
  });

  it('a configured password is refused when the driver is built (CL002), pointing at the new login, in the CLI and inside Nightscout', () => {
    expect(() => harness({ password: new Secret('pw') })).toThrow(/\[CL002\].*CONNECT_CARELINK_PASSWORD or MMCONNECT_PASSWORD/);
    const h = harness();
    expect(() => createDriverNow(settings({ password: new Secret('pw') }), h.ctx)).toThrow(/\[CL002\]/);
    expect(createDriverNow(settings(), h.ctx).kind).toBe('minimedcarelink');
  });
});

describe('CareLink token refresh', () => {
  it('refreshes before expiry; the rotated refresh token is saved before the new access token is used', async () => {
    const h = harness({}, savedLogin({ expiresAt: NOW + 4 * 60_000 }));
    discovery();
    let form: Record<string, string> = {};
    nock(LOGIN_HOST)
      .post('/oauth/token', (b: Record<string, string>) => ((form = b), true))
      .reply(200, { access_token: NEW_ACCESS, refresh_token: ROTATED, expires_in: 3600, token_type: 'Bearer' });
    let savedWhenUsed: LoginRecord | undefined;
    nock(CARELINK, { reqheaders: { authorization: `Bearer ${NEW_ACCESS}` } })
      .get('/patient/users/me')
      .reply(() => {
        savedWhenUsed = login(h);
        return [200, fixture('users-me')];
      })
      .get('/patient/m2m/links/patients')
      .reply(200, fixture<nock.Body>('links-patients'))
      .get('/patient/monitor/data')
      .reply(200, { deviceFamily: 'BLE' });
    await establish(h.driver);
    expect(form).toEqual({ grant_type: 'refresh_token', client_id: 'fakeClientId123', refresh_token: REFRESH });
    expect(savedWhenUsed).toMatchObject({ accessToken: NEW_ACCESS, refreshToken: ROTATED, expiresAt: NOW + 3_600_000, savedAt: NOW });
    expect(login(h)).toMatchObject({ refreshToken: ROTATED, region: 'eu', clientId: 'fakeClientId123' });
    expect(h.captured.text()).not.toContain(ROTATED);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('capture beside a running bridge (shared state): the saved access token while it lasts, never a refresh (CL024 once it has run out)', async () => {
    const h = harness({}, savedLogin({ expiresAt: NOW + 2 * 60_000 }), { sharedState: true });
    discovery();
    carePartner();
    await establish(h.driver);
    expect(nock.pendingMocks()).toEqual([]);
    expect(login(h)).toMatchObject({ refreshToken: REFRESH, expiresAt: NOW + 2 * 60_000 });

    const expired = harness({}, savedLogin({ expiresAt: NOW - 1 }), { sharedState: true });
    discovery();
    const refresh = nock(LOGIN_HOST).post('/oauth/token').reply(200, { access_token: NEW_ACCESS, refresh_token: ROTATED, expires_in: 3600 });
    const error = await rejection(establish(expired.driver));
    expect(error).toMatchObject({ code: 'CL024' });
    expect(refresh.isDone()).toBe(false);
    expect(login(expired)).toMatchObject({ refreshToken: REFRESH });
    nock.cleanAll();
  });

  it('keeps the refresh token when the answer does not rotate it', async () => {
    const h = harness({}, savedLogin({ expiresAt: 0 }));
    discovery();
    nock(LOGIN_HOST).post('/oauth/token').reply(200, { access_token: NEW_ACCESS, expires_in: 600 });
    carePartner(NEW_ACCESS);
    await establish(h.driver);
    expect(login(h)).toMatchObject({ accessToken: NEW_ACCESS, refreshToken: REFRESH, expiresAt: NOW + 600_000 });
  });

  it('401 on a data call: one refresh, the call once more; a second 401 with the fresh token is CL016 (no loop)', async () => {
    const h = harness({ countryCode: 'gb' });
    discovery();
    carePartner();
    const session = await establish(h.driver);
    nock(CLOUD).post('/connect/carepartner/v13/display/message').matchHeader('authorization', `Bearer ${ACCESS}`).reply(401, { message: 'Unauthorized' });
    nock(LOGIN_HOST).post('/oauth/token').reply(200, { access_token: NEW_ACCESS, refresh_token: ROTATED, expires_in: 3600 });
    nock(CLOUD).post('/connect/carepartner/v13/display/message').matchHeader('authorization', `Bearer ${NEW_ACCESS}`).reply(200, fixture('display-message'));
    await h.driver.loops[0]!.fetch(session, WINDOW, signal());
    expect(login(h).refreshToken).toBe(ROTATED);

    nock(CLOUD).post('/connect/carepartner/v13/display/message').reply(403, { message: 'Forbidden' });
    nock(LOGIN_HOST).post('/oauth/token').reply(200, { access_token: `${NEW_ACCESS}2`, refresh_token: `${ROTATED}2`, expires_in: 3600 });
    nock(CLOUD).post('/connect/carepartner/v13/display/message').reply(403, { message: 'Forbidden' });
    const error = await rejection(h.driver.loops[0]!.fetch(session, WINDOW, signal()));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('CL016');
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('invalid_grant (the spec fixture): CL004 "run gluco-hub login carelink again", remembered, and no request with that login again', async () => {
    const h = harness({}, savedLogin({ expiresAt: 0 }));
    discovery();
    nock(LOGIN_HOST).post('/oauth/token').reply(400, fixture('invalid-grant'));
    const error = await rejection(establish(h.driver));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('CL004');
    expect(error.message).toContain('invalid_grant: Unknown or invalid refresh token.');
    expect(error.hint).toContain('run `gluco-hub login carelink` again');
    expect(error.hint).toContain('dedicated care-partner account');
    expect(classify(error, NOW)).toEqual({ action: 'stop' });
    expectNoSecrets(error);
    expect(login(h).revoked).toMatchObject({ at: NOW, reason: expect.stringContaining('invalid_grant') as string });
    // No mock left: a refresh or a data call now would fail the test with a network error instead.
    const again = await rejection(h.driver.session.authenticate(signal()));
    expect(again.code).toBe('CL004');
    expect(again.message).toContain('refused at');
  });

  it('invalid_client ends the login too; a new login written meanwhile is picked up without a restart', async () => {
    const h = harness({}, savedLogin({ expiresAt: 0 }));
    discovery();
    nock(LOGIN_HOST).post('/oauth/token').reply(401, { error: 'invalid_client', error_description: 'Unknown client.' });
    expect((await rejection(establish(h.driver))).code).toBe('CL004');
    h.clock.now += 60_000;
    await h.state.write(STATE_KEYS.login, savedLogin({ accessToken: NEW_ACCESS, refreshToken: ROTATED, savedAt: h.clock.now, expiresAt: h.clock.now + 3_600_000 }));
    discovery();
    carePartner(NEW_ACCESS);
    expect((await establish(h.driver)).patient).toBe('pt_user1');
  });

  it('5xx, 429 and network failures on refresh are retryable and leave the login untouched', async () => {
    const h = harness({}, savedLogin({ expiresAt: 0 }));
    discovery();
    nock(LOGIN_HOST).post('/oauth/token').reply(503, '<html>maintenance</html>');
    const down = await rejection(establish(h.driver));
    expect(down).toBeInstanceOf(UpstreamError);
    expect(down.code).toBe('CL018');
    expect(classify(down, NOW)).toEqual({ action: 'retry' });

    discovery();
    nock(LOGIN_HOST).post('/oauth/token').reply(429, { error: 'too_many_requests' }, { 'Retry-After': '120' });
    const slow = await rejection(establish(h.driver));
    expect(slow).toBeInstanceOf(RateLimitError);
    expect(slow).toMatchObject({ code: 'CL017', retryAfterMs: 120_000 });

    discovery();
    nock(LOGIN_HOST).post('/oauth/token').replyWithError('socket hang up');
    const net = await rejection(establish(h.driver));
    expect(net).toBeInstanceOf(NetworkError);
    expect(net.code).toBe('CL020');
    expect(login(h)).toEqual(savedLogin({ expiresAt: 0 }));
  });

  it('two callers that see a 401 at once share one refresh (a rotated token must not be spent twice)', async () => {
    const h = harness({ countryCode: 'gb' });
    discovery();
    carePartner();
    const session = await establish(h.driver);
    nock(CLOUD).post('/connect/carepartner/v13/display/message').times(2).matchHeader('authorization', `Bearer ${ACCESS}`).reply(401, {});
    nock(LOGIN_HOST).post('/oauth/token').once().delay(20).reply(200, { access_token: NEW_ACCESS, refresh_token: ROTATED, expires_in: 3600 });
    nock(CLOUD).post('/connect/carepartner/v13/display/message').times(2).matchHeader('authorization', `Bearer ${NEW_ACCESS}`).reply(200, fixture('display-message'));
    await Promise.all([h.driver.loops[0]!.fetch(session, WINDOW, signal()), h.driver.loops[0]!.fetch(session, WINDOW, signal())]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a rotated token that cannot be saved is still used, with a warning that a restart would need a new login', async () => {
    const h = harness({}, savedLogin({ expiresAt: 0 }));
    const write = h.state.write.bind(h.state);
    h.state.write = () => Promise.reject(new Error('[STATE003] disk full'));
    discovery();
    nock(LOGIN_HOST).post('/oauth/token').reply(200, { access_token: NEW_ACCESS, refresh_token: ROTATED, expires_in: 3600 });
    carePartner(NEW_ACCESS);
    await establish(h.driver);
    expect(h.captured.text()).toContain('could not save the rotated CareLink refresh token');
    h.state.write = write;
    expect(login(h).refreshToken).toBe(REFRESH);
  });
});

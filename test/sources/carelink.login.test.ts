import { createHash } from 'node:crypto';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, UpstreamError } from '../../lib/errors.js';
import { createCareLinkClient } from '../../sources/carelink/client.js';
import { discover, type Endpoints } from '../../sources/carelink/discovery.js';
import { placement } from '../../sources/carelink/hosts.js';
import { exchangeCode, importLoginData } from '../../sources/carelink/login.js';
import { authorizeUrl, codeFromPaste, createPkce } from '../../sources/carelink/pkce.js';
import { CLOUD, DISCOVERY_PATH, expectNoSecrets, fixture, LOGIN_HOST, NOW, rejection, savedLogin, signal } from '../fixtures/carelink/harness.js';

const client = createCareLinkClient((url) => url);
const now = (): number => NOW;

function discovery(doc: unknown = fixture('discovery')): nock.Scope {
  return nock(CLOUD).get(DISCOVERY_PATH).reply(200, doc as nock.Body).get('/auth0-sso.json').reply(200, fixture('sso-config'));
}

async function endpoints(): Promise<Endpoints> {
  discovery();
  return discover(client, { region: 'eu' }, signal(), now);
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('CareLink discovery', () => {
  it('asks android/3.6 (the version with Auth0 and a v13 data base), picks the region by country and reads the Auth0 SSO configuration', async () => {
    const scope = discovery();
    const found = await discover(client, { countryCode: 'gb' }, signal(), now);
    scope.done();
    expect(found).toEqual({
      region: 'eu',
      carelinkBase: 'https://carelink.minimed.eu/patient',
      cumulusBase: 'https://clcloud.minimed.eu/connect/carepartner/v13',
      authorizeUrl: `${LOGIN_HOST}/authorize`,
      tokenUrl: `${LOGIN_HOST}/oauth/token`,
      clientId: 'fakeClientId123',
      scope: 'openid profile offline_access',
      audience: 'https://example.invalid/api',
      redirectUri: 'com.medtronic.carepartner:/sso',
    });
  });

  it('refuses a discovery document that no longer points at the Auth0 login (CL008), an unknown country (CL006) and no region at all (CL005, no request)', async () => {
    const legacy = { ...fixture('discovery'), CP: [{ ...fixture<{ CP: Record<string, unknown>[] }>('discovery').CP[0], UseSSOConfiguration: 'SSOConfiguration' }] };
    nock(CLOUD).get(DISCOVERY_PATH).reply(200, legacy);
    const noAuth0 = await rejection(discover(client, { region: 'eu' }, signal(), now));
    expect(noAuth0).toBeInstanceOf(UpstreamError);
    expect(noAuth0.code).toBe('CL008');

    nock(CLOUD).get(DISCOVERY_PATH).reply(200, fixture('discovery'));
    const country = await rejection(discover(client, { countryCode: 'zz' }, signal(), now));
    expect(country).toBeInstanceOf(ConfigError);
    expect(country.code).toBe('CL006');

    const none = await rejection(discover(client, {}, signal(), now));
    expect(none.code).toBe('CL005');
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('the server setting: a Medtronic host (nightscout-connect\'s value) only names the region; any other host gets every request; nonsense is CL001', () => {
    expect(placement('carelink.minimed.eu')).toMatchObject({ region: 'eu' });
    expect(placement('carelink.minimed.eu').pinned).toBeUndefined();
    expect(placement('https://carelink.minimed.com')).toMatchObject({ region: 'us' });
    const pinned = placement('http://127.0.0.1:9999');
    expect(pinned.pinned).toBe('http://127.0.0.1:9999');
    expect(pinned.via('https://carelink-login.minimed.eu/oauth/token?x=1')).toBe('http://127.0.0.1:9999/oauth/token?x=1');
    expect(() => placement('ftp://x')).toThrow(expect.objectContaining({ code: 'CL001' }) as Error);
  });
});

describe('CareLink PKCE login', () => {
  it('the authorize link carries the S256 challenge of the verifier, the state, the audience and the username hint', async () => {
    const pkce = createPkce();
    const url = new URL(authorizeUrl(await endpoints(), pkce, { loginHint: 'cp_follower1', language: 'de' }));
    expect(url.origin + url.pathname).toBe(`${LOGIN_HOST}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'fakeClientId123',
      response_type: 'code',
      scope: 'openid profile offline_access',
      redirect_uri: 'com.medtronic.carepartner:/sso',
      code_challenge: createHash('sha256').update(pkce.verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: pkce.state,
      audience: 'https://example.invalid/api',
      login_hint: 'cp_follower1',
      ui_locales: 'de',
    });
    expect(pkce.verifier.length).toBeGreaterThanOrEqual(43);
  });

  it('takes the pasted redirect address or the bare code; refuses another attempt\'s state, an error redirect and garbage (CL009)', async () => {
    expect(codeFromPaste('  com.medtronic.carepartner:/sso?code=abc123XYZ&state=s1 \n', 's1')).toBe('abc123XYZ');
    expect(codeFromPaste('com.medtronic.carepartner:/sso?code=abc123XYZ', 's1')).toBe('abc123XYZ');
    expect(codeFromPaste('abc123XYZ', 's1')).toBe('abc123XYZ');
    for (const [pasted, reason] of [
      ['com.medtronic.carepartner:/sso?code=abc123XYZ&state=other', /another login attempt/],
      ['com.medtronic.carepartner:/sso?error=access_denied&error_description=User%20cancelled', /access_denied: User cancelled/],
      ['', /nothing was pasted/],
      ['https://example.test/done', /no code=/],
    ] as const) {
      const error = await rejection(Promise.resolve().then(() => codeFromPaste(pasted, 's1')));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.code).toBe('CL009');
      expect(error.message).toMatch(reason);
    }
  });

  it('exchanges the code with the verifier (form-encoded) and keeps the spec\'s tokens with their expiry', async () => {
    const found = await endpoints();
    let form: Record<string, string> = {};
    nock(LOGIN_HOST)
      .post('/oauth/token', (body: Record<string, string>) => ((form = body), true))
      .matchHeader('content-type', 'application/x-www-form-urlencoded')
      .reply(200, fixture('token'));
    const record = await exchangeCode(client, found, 'the-code', 'the-verifier', signal(), now);
    expect(form).toEqual({ grant_type: 'authorization_code', client_id: 'fakeClientId123', code: 'the-code', redirect_uri: 'com.medtronic.carepartner:/sso', code_verifier: 'the-verifier' });
    expect(record).toEqual({
      accessToken: fixture<{ access_token: string }>('token').access_token,
      refreshToken: 'v1.fakeRefresh',
      clientId: 'fakeClientId123',
      tokenUrl: `${LOGIN_HOST}/oauth/token`,
      audience: 'https://example.invalid/api',
      scope: 'openid profile offline_access',
      expiresAt: NOW + 3_600_000,
      region: 'eu',
      origin: 'login',
      savedAt: NOW,
    });
  });

  it('a used or expired code (invalid_grant) is CL010, with no token in the error', async () => {
    const found = await endpoints();
    nock(LOGIN_HOST).post('/oauth/token').reply(400, { error: 'invalid_grant', error_description: 'Invalid authorization code' });
    const error = await rejection(exchangeCode(client, found, 'old-code', 'the-verifier', signal(), now));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('CL010');
    expect(error.message).toContain('Invalid authorization code');
    expectNoSecrets(error, ['the-verifier', 'old-code']);
  });
});

describe('CareLink logindata.json import', () => {
  const auth0 = { access_token: 'eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE3NjM4MTAwMDB9.sig', refresh_token: 'v1.imported', client_id: 'fakeClientId123', token_url: `${LOGIN_HOST}/oauth/token`, audience: 'https://example.invalid/api', scope: 'openid profile offline_access' };

  it('an Auth0-era file: region from the token URL host, expiry from the JWT', () => {
    expect(importLoginData(JSON.stringify(auth0), 'logindata.json', undefined, NOW)).toEqual(
      savedLogin({ accessToken: auth0.access_token, refreshToken: 'v1.imported', expiresAt: 1_763_810_000_000, origin: 'import', savedAt: NOW }),
    );
  });

  it('refuses a MAG-era file (CL012), a file without the required fields or not JSON (CL011), and a region that contradicts the configuration (CL007)', () => {
    const mag = { access_token: 'a', refresh_token: 'r', scope: 's', client_id: 'c', client_secret: 'x', 'mag-identifier': 'm' };
    expect(() => importLoginData(JSON.stringify(mag), 'old.json', undefined, NOW)).toThrow(expect.objectContaining({ code: 'CL012' }) as Error);
    const { token_url: _dropped, ...noUrl } = auth0;
    expect(() => importLoginData(JSON.stringify(noUrl), 'x.json', 'eu', NOW)).toThrow(/\[CL011\].*token_url/);
    expect(() => importLoginData('{', 'x.json', 'eu', NOW)).toThrow(/\[CL011\].*not JSON/);
    expect(() => importLoginData(JSON.stringify(auth0), 'x.json', 'us', NOW)).toThrow(expect.objectContaining({ code: 'CL007' }) as Error);
  });
});

import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, classify, GlucoHubError, NetworkError, RateLimitError, UpstreamError } from '../../lib/errors.js';
import { createNightscoutClient, type NightscoutClient } from '../../lib/nightscout/client.js';
import { JWT_RENEW_MARGIN_MS } from '../../lib/nightscout/jwt.js';
import { siteFrom, type SiteNames } from '../../lib/nightscout/site.js';
import { Secret } from '../../lib/secret.js';

const SERVER = 'https://ns.example.com';
const TOKEN = 'uploader-0123456789abcdef';
const SECRET = 'a-plain-api-secret';
const SECRET_SHA1 = createHash('sha1').update(SECRET).digest('hex');
const NAMES: SiteNames = { site: 'the target Nightscout', tokenVar: 'CONNECT_NIGHTSCOUT_TOKEN', secretVar: 'CONNECT_API_SECRET' };
const T0 = Date.UTC(2025, 2, 10, 8, 0, 0);
const EIGHT_HOURS_S = 8 * 3600;

let clock = T0;
const now = () => clock;
const signal = () => new AbortController().signal;

function client(settings: { token?: string; apiSecret?: string; endpoint?: string } = {}): NightscoutClient {
  const site = siteFrom(
    {
      endpoint: settings.endpoint ?? SERVER,
      ...(settings.token ? { token: new Secret(settings.token) } : {}),
      ...(settings.apiSecret ? { apiSecret: new Secret(settings.apiSecret) } : {}),
    },
    NAMES,
  );
  return createNightscoutClient(site, { now });
}

function jwtAnswer(token: string, issuedMs = clock) {
  const iat = Math.floor(issuedMs / 1000);
  return { token, sub: 'uploader', permissionGroups: [['*']], iat, exp: iat + EIGHT_HOURS_S };
}

const exchange = (token = TOKEN) => nock(SERVER).get(`/api/v2/authorization/request/${token}`);
const getEntries = (c: NightscoutClient) => c.request('v3', { method: 'GET', path: '/api/v3/entries', query: { limit: 1 } }, signal());

async function failure(promise: Promise<unknown>): Promise<GlucoHubError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GlucoHubError);
  return error as GlucoHubError;
}

/** Every text an error carries to a log: message, hint, and the whole cause chain. */
function errorTexts(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(current.message, (current as GlucoHubError).hint ?? '', String(current));
    current = current.cause;
  }
  return parts.join('\n');
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  clock = T0;
});
afterAll(() => nock.enableNetConnect());

describe('Nightscout client: site', () => {
  it('keeps a sub-path and drops trailing slashes and queries', () => {
    expect(client({ endpoint: 'https://ns.example.com/ns/', token: TOKEN }).site.baseUrl).toBe('https://ns.example.com/ns');
    expect(client({ endpoint: 'https://ns.example.com//', token: TOKEN }).site.baseUrl).toBe('https://ns.example.com');
  });

  it('answers whether the server has API v3', async () => {
    nock(SERVER).get('/api/v3/version').reply(200, { status: 200, result: { version: '15.0.7' } });
    expect(await client({ token: TOKEN }).hasV3(signal())).toBe(true);
    nock(SERVER).get('/api/v3/version').reply(404, 'Cannot GET /api/v3/version');
    expect(await client({ token: TOKEN }).hasV3(signal())).toBe(false);
  });
});

describe('Nightscout client: API v3 with a JWT', () => {
  it('exchanges the access token once and reuses the JWT', async () => {
    const exchanged = exchange().once().reply(200, jwtAnswer('jwt-1'));
    const data = nock(SERVER, { reqheaders: { authorization: 'Bearer jwt-1' } })
      .get('/api/v3/entries')
      .query({ limit: 1 })
      .times(3)
      .reply(200, { status: 200, result: [] });
    const c = client({ token: TOKEN });
    await Promise.all([getEntries(c), getEntries(c)]);
    await getEntries(c);
    expect(exchanged.isDone()).toBe(true);
    expect(data.isDone()).toBe(true);
  });

  it('renews the JWT before its 8 hours run out, not after', async () => {
    exchange().once().reply(200, jwtAnswer('jwt-1'));
    const c = client({ token: TOKEN });
    nock(SERVER, { reqheaders: { authorization: 'Bearer jwt-1' } }).get('/api/v3/entries').query(true).twice().reply(200, { result: [] });
    await getEntries(c);
    clock = T0 + EIGHT_HOURS_S * 1000 - JWT_RENEW_MARGIN_MS - 1000; // still inside the margin
    await getEntries(c);
    clock = T0 + EIGHT_HOURS_S * 1000 - JWT_RENEW_MARGIN_MS + 1000; // within the margin: renew
    exchange().once().reply(200, jwtAnswer('jwt-2'));
    const renewed = nock(SERVER, { reqheaders: { authorization: 'Bearer jwt-2' } }).get('/api/v3/entries').query(true).reply(200, { result: [] });
    await getEntries(c);
    expect(renewed.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('on a 401 exchanges once more and repeats the call', async () => {
    exchange().once().reply(200, jwtAnswer('jwt-old')).get(`/api/v2/authorization/request/${TOKEN}`).once().reply(200, jwtAnswer('jwt-new'));
    nock(SERVER, { reqheaders: { authorization: 'Bearer jwt-old' } }).get('/api/v3/entries').query(true).reply(401, { status: 401, message: 'Bad access token or JWT' });
    const retried = nock(SERVER, { reqheaders: { authorization: 'Bearer jwt-new' } }).get('/api/v3/entries').query(true).reply(200, { result: [] });
    const answer = await getEntries(client({ token: TOKEN }));
    expect(answer.httpStatus).toBe(200);
    expect(retried.isDone()).toBe(true);
  });

  it('a second 401 stops with NS006 instead of looping', async () => {
    exchange().twice().reply(200, jwtAnswer('jwt-1'));
    const calls = nock(SERVER).get('/api/v3/entries').query(true).twice().reply(401, { status: 401, message: 'Bad access token or JWT' });
    const error = await failure(getEntries(client({ token: TOKEN })));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('NS006');
    expect(error.message).toContain('Bad access token or JWT');
    expect(calls.isDone()).toBe(true);
  });

  it('an unknown token is NS004, and a token that does not look like one says so', async () => {
    exchange().reply(401, { status: 401, message: 'Unauthorized', description: 'Invalid/Missing' });
    const unknown = await failure(getEntries(client({ token: TOKEN })));
    expect(unknown.code).toBe('NS004');
    expect(unknown).toBeInstanceOf(AuthError);
    expect(unknown.message).not.toContain('does not look like an access token');

    exchange('my-password').reply(401, { status: 401, message: 'Unauthorized' });
    const odd = await failure(getEntries(client({ token: 'my-password' })));
    expect(odd.code).toBe('NS004');
    expect(odd.message).toContain('does not look like an access token');
  });

  it('a missing permission is NS005 and names what the token needs', async () => {
    exchange().reply(200, jwtAnswer('jwt-1'));
    nock(SERVER).post('/api/v3/entries').reply(403, { status: 403, message: 'Missing permission api:entries:update' });
    const error = await failure(client({ token: TOKEN }).request('v3', { method: 'POST', path: '/api/v3/entries', body: {} }, signal()));
    expect(error.code).toBe('NS005');
    expect(error.message).toContain('api:entries:update');
    expect(error.hint).toContain('api:entries:create, api:entries:update and api:entries:read');
  });

  it('a 5xx is a retryable NS007', async () => {
    exchange().reply(200, jwtAnswer('jwt-1'));
    nock(SERVER).get('/api/v3/entries').query(true).reply(503, { status: 503, message: 'Service Unavailable' });
    const error = await failure(getEntries(client({ token: TOKEN })));
    expect(error.code).toBe('NS007');
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(503);
    expect(classify(error, T0)).toEqual({ action: 'retry' });
  });

  it.each([
    ['429, Retry-After in seconds', 429, '600', 600_000],
    ['503, Retry-After as an HTTP date', 503, new Date(T0 + 20 * 60_000).toUTCString(), 20 * 60_000],
  ])('a %s is NS016, a rate limit the frame waits out', async (_name, status, retryAfter, waitMs) => {
    exchange().reply(200, jwtAnswer('jwt-1'));
    nock(SERVER).get('/api/v3/entries').query(true).reply(status, { status, message: 'Too Many Requests' }, { 'retry-after': retryAfter });
    const error = await failure(getEntries(client({ token: TOKEN })));
    expect(error.code).toBe('NS016');
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(waitMs);
    expect(error.message).toContain(`HTTP ${status}`);
    expect(classify(error, T0)).toEqual({ action: 'wait', untilMs: T0 + waitMs });
  });

  it('a 429 without Retry-After stays a retryable NS007 (backoff decides)', async () => {
    exchange().reply(200, jwtAnswer('jwt-1'));
    nock(SERVER).get('/api/v3/entries').query(true).reply(429, { status: 429, message: 'Too Many Requests' });
    const error = await failure(getEntries(client({ token: TOKEN })));
    expect(error.code).toBe('NS007');
    expect(classify(error, T0)).toEqual({ action: 'retry' });
  });

  it('a network failure is a retryable NS009', async () => {
    exchange().reply(200, jwtAnswer('jwt-1'));
    nock(SERVER).get('/api/v3/entries').query(true).replyWithError('socket hang up');
    const error = await failure(getEntries(client({ token: TOKEN })));
    expect(error.code).toBe('NS009');
    expect(error).toBeInstanceOf(NetworkError);
    expect(classify(error, T0)).toEqual({ action: 'retry' });
  });
});

describe('Nightscout client: a deadline on the whole request', () => {
  /** Runs `body` against a site that trickles every answer byte by byte. */
  async function againstTrickle(body: (endpoint: string) => Promise<void>): Promise<void> {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      nock.enableNetConnect('127.0.0.1');
      await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('a site that trickles its answer byte by byte fails with NS009 at the deadline, not when it stops sending', async () => {
    await againstTrickle(async (endpoint) => {
      const site = siteFrom({ endpoint, apiSecret: new Secret(SECRET) }, NAMES);
      const c = createNightscoutClient(site, { now, deadlineMs: 400 });
      const started = performance.now();
      const error = await failure(c.request('v1', { method: 'GET', path: '/api/v1/entries.json' }, signal()));
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(error.code).toBe('NS009');
      expect(error.message).toContain('no complete answer within 0.4 s');
      expect(classify(error, T0)).toEqual({ action: 'retry' });
    });
  });

  it('the token exchange has the same deadline, and its error never shows the token', async () => {
    await againstTrickle(async (endpoint) => {
      const site = siteFrom({ endpoint, token: new Secret(TOKEN) }, NAMES);
      const error = await failure(createNightscoutClient(site, { now, deadlineMs: 400 }).request('v3', { method: 'GET', path: '/api/v3/entries' }, signal()));
      expect(error.code).toBe('NS009');
      expect(error.message).toContain('no complete answer within 0.4 s');
      expect(error.message).not.toContain(TOKEN);
    });
  });
});

describe('Nightscout client: API v1 with the API secret', () => {
  it('sends the SHA-1 hex of the plain secret, never the secret', async () => {
    const call = nock(SERVER, { reqheaders: { 'api-secret': SECRET_SHA1 } }).post('/api/v1/entries').reply(200, []);
    await client({ apiSecret: SECRET }).request('v1', { method: 'POST', path: '/api/v1/entries', body: [] }, signal());
    expect(call.isDone()).toBe(true);
  });

  it('a 401 with a 40-hex secret is NS002 (the hash was given), with a plain one NS003', async () => {
    nock(SERVER).post('/api/v1/entries').twice().reply(401, { status: 401, message: 'Unauthorized', description: 'Invalid/Missing' });
    const hashed = await failure(client({ apiSecret: SECRET_SHA1 }).request('v1', { method: 'POST', path: '/api/v1/entries', body: [] }, signal()));
    expect(hashed.code).toBe('NS002');
    expect(hashed.message).toContain('give the plain secret');
    const plain = await failure(client({ apiSecret: SECRET }).request('v1', { method: 'POST', path: '/api/v1/entries', body: [] }, signal()));
    expect(plain.code).toBe('NS003');
  });

  it('uses the JWT as Bearer on v1 when only a token is given', async () => {
    exchange().reply(200, jwtAnswer('jwt-1'));
    const call = nock(SERVER, { reqheaders: { authorization: 'Bearer jwt-1' } }).post('/api/v1/entries').reply(200, []);
    await client({ token: TOKEN }).request('v1', { method: 'POST', path: '/api/v1/entries', body: [] }, signal());
    expect(call.isDone()).toBe(true);
  });
});

describe('Nightscout client: no credential in any error', () => {
  it('neither the token, the JWT, the secret nor its hash appear in messages, hints or causes', async () => {
    const errors: unknown[] = [];
    const collect = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => void errors.push(e));

    // The exchange itself failing in transport: the token is in its URL.
    await collect(getEntries(client({ token: TOKEN }))); // nock refuses the unmocked call, quoting the URL
    exchange().reply(401, { status: 401, message: 'Unauthorized', token: TOKEN });
    await collect(getEntries(client({ token: TOKEN })));
    exchange().reply(200, jwtAnswer('jwt-secret-value'));
    exchange().reply(200, jwtAnswer('jwt-secret-value'));
    nock(SERVER).get('/api/v3/entries').query(true).twice().reply(401, { status: 401, message: 'Bad access token or JWT', token: 'jwt-secret-value' });
    await collect(getEntries(client({ token: TOKEN })));
    nock(SERVER).post('/api/v1/entries').reply(401, { message: 'Unauthorized', secret: SECRET_SHA1 });
    await collect(client({ apiSecret: SECRET }).request('v1', { method: 'POST', path: '/api/v1/entries', body: [] }, signal()));
    nock(SERVER).post('/api/v1/entries').replyWithError('connection reset');
    await collect(client({ apiSecret: SECRET }).request('v1', { method: 'POST', path: '/api/v1/entries', body: [] }, signal()));

    expect(errors).toHaveLength(5);
    expect((errors[0] as GlucoHubError).code).toBe('NS009');
    for (const error of errors) {
      const text = errorTexts(error);
      for (const credential of [TOKEN, 'jwt-secret-value', SECRET, SECRET_SHA1]) expect(text).not.toContain(credential);
    }
  });
});

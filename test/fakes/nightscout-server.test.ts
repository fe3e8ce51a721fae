import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeNightscout, type FakeNightscout, type FakeNightscoutOptions } from './nightscout-server.js';

/** Self-tests of the fake Nightscout over real HTTP. */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers are checked with expect(), not typed
type Json = any;

interface Answer {
  status: number;
  body: Json;
  text: string;
  headers: Headers;
}

const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');
const sha512 = (s: string): string => createHash('sha512').update(s).digest('hex');

let clock = T0;
const now = (): number => clock;
let servers: FakeNightscout[] = [];

beforeEach(() => {
  clock = T0;
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const ROLES = {
  uploader: ['api:*:create', 'api:*:update', 'api:*:delete'],
  'entries-creator': ['api:entries:create'],
};
const SUBJECTS = {
  'Gluco Hub Uploader': ['uploader'],
  creator: ['entries-creator'],
  reader: ['readable'],
  boss: ['admin'],
};

async function start(options: FakeNightscoutOptions = {}): Promise<FakeNightscout> {
  const ns = await startFakeNightscout({ now, roles: ROLES, subjects: SUBJECTS, ...options });
  servers.push(ns);
  return ns;
}

interface CallOptions {
  headers?: Record<string, string>;
  body?: unknown;
  raw?: string;
  contentType?: string;
}

async function call(ns: FakeNightscout, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: string | undefined;
  if (opts.raw !== undefined || opts.body !== undefined) {
    body = opts.raw ?? JSON.stringify(opts.body);
    headers['Content-Type'] = opts.contentType ?? 'application/json';
  }
  const res = await fetch(ns.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: Json;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

async function jwtFor(ns: FakeNightscout, subject: string): Promise<string> {
  const res = await call(ns, 'GET', `/api/v2/authorization/request/${ns.token(subject)}`);
  expect(res.status).toBe(200);
  return res.body.token as string;
}

const bearer = (jwt: string): Record<string, string> => ({ Authorization: `Bearer ${jwt}` });

async function v3(ns: FakeNightscout, method: string, path: string, body?: unknown, subject = 'Gluco Hub Uploader'): Promise<Answer> {
  const jwt = await jwtFor(ns, subject);
  return call(ns, method, `/api/v3${path}`, { headers: bearer(jwt), ...(body !== undefined ? { body } : {}) });
}

const sgv = (date: number, value: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'sgv',
  sgv: value,
  date,
  device: 'gluco-hub',
  app: 'gluco-hub',
  ...extra,
});

describe('access tokens and JWT', () => {
  it('derives each subject token as <abbrev>-<16 hex> from the secret and the subject id', async () => {
    const ns = await start();
    expect(ns.token('Gluco Hub Uploader')).toMatch(/^glucohubup-[0-9a-f]{16}$/);
    expect(ns.tokens.reader).toMatch(/^reader-[0-9a-f]{16}$/);
    expect(ns.apiSecretSha1).toBe(sha1('fake-nightscout-secret'));
  });

  it('exchanges an access token for an 8-h HS256 JWT', async () => {
    const ns = await start();
    const res = await call(ns, 'GET', `/api/v2/authorization/request/${ns.token('Gluco Hub Uploader')}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      sub: 'Gluco Hub Uploader',
      // The subject's roles, then AUTH_DEFAULT_ROLES (readable), as the real server lists them.
      permissionGroups: [ROLES.uploader, ['*:*:read']],
      iat: T0 / 1000,
      exp: T0 / 1000 + 8 * 3600,
    });
    const header = JSON.parse(Buffer.from((res.body.token as string).split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(ns.counters.jwtRequests).toBe(1);
    expect(ns.counters.jwtIssued).toBe(1);
    expect(ns.requests[0]!.path).toBe('/api/v2/authorization/request/***');
  });

  it('answers an unknown token with the v1 401 body and counts an auth failure', async () => {
    const ns = await start();
    const res = await call(ns, 'GET', '/api/v2/authorization/request/nobody-0123456789abcdef');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ status: 401, message: 'Unauthorized', description: 'Invalid/Missing' });
    expect(ns.counters.authFailures).toBe(1);
  });

  it('accepts sha1(accessToken), any name part, and a live JWT (re-signed)', async () => {
    const ns = await start();
    const token = ns.token('reader');
    expect((await call(ns, 'GET', `/api/v2/authorization/request/${sha1(token)}`)).body.sub).toBe('reader');
    expect((await call(ns, 'GET', `/api/v2/authorization/request/other-${token.split('-')[1]!}`)).body.sub).toBe('reader');
    const first = await jwtFor(ns, 'reader');
    clock += HOUR;
    const again = await call(ns, 'GET', `/api/v2/authorization/request/${first}`);
    expect(again.status).toBe(200);
    expect(again.body.iat).toBe((T0 + HOUR) / 1000);
    expect(again.body.token).not.toBe(first);
  });

  it('rejects an expired JWT on v3 as a failed authentication', async () => {
    const ns = await start();
    const jwt = await jwtFor(ns, 'reader');
    clock += 8 * HOUR - 1000;
    expect((await call(ns, 'GET', '/api/v3/entries', { headers: bearer(jwt) })).status).toBe(200);
    clock += 1000;
    const res = await call(ns, 'GET', '/api/v3/entries', { headers: bearer(jwt) });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ status: 401, message: 'Bad access token or JWT' });
    expect(ns.counters.authFailures).toBe(1);
    expect((await call(ns, 'GET', `/api/v2/authorization/request/${jwt}`)).status).toBe(401);
  });

  it('does not accept JWTs signed by another server instance', async () => {
    const a = await start();
    const b = await start();
    const jwt = await jwtFor(a, 'reader');
    expect((await call(b, 'GET', '/api/v3/entries', { headers: bearer(jwt) })).status).toBe(401);
  });
});

describe('API v3 authentication and permissions', () => {
  it('takes only Authorization: Bearer <JWT> (any case of bearer)', async () => {
    const ns = await start();
    const jwt = await jwtFor(ns, 'reader');
    const missing = { status: 401, message: 'Missing or bad access token or JWT' };
    expect((await call(ns, 'GET', '/api/v3/entries')).body).toEqual(missing);
    expect((await call(ns, 'GET', '/api/v3/entries', { headers: { 'api-secret': ns.apiSecretSha1 } })).body).toEqual(missing);
    expect((await call(ns, 'GET', `/api/v3/entries?token=${ns.token('reader')}`)).body).toEqual(missing);
    expect((await call(ns, 'GET', '/api/v3/entries', { headers: { Authorization: `Token ${jwt}` } })).body).toEqual(missing);
    const raw = await call(ns, 'GET', '/api/v3/entries', { headers: bearer(ns.token('reader')) });
    expect(raw.status).toBe(401);
    expect(raw.body).toEqual({ status: 401, message: 'Bad access token or JWT' });
    expect((await call(ns, 'GET', '/api/v3/entries', { headers: { Authorization: `bEaReR ${jwt}` } })).status).toBe(200);
  });

  it('answers 403 Missing permission for a write without create', async () => {
    const ns = await start();
    const res = await v3(ns, 'POST', '/entries', sgv(T0, 100), 'reader');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ status: 403, message: 'Missing permission api:entries:create' });
    expect(ns.counters.forbidden).toBe(1);
  });

  it('keeps /api/v3/version public and lists v3 in /api/versions', async () => {
    const ns = await start();
    const version = await call(ns, 'GET', '/api/v3/version');
    expect(version.status).toBe(200);
    expect(version.body).toEqual({
      status: 200,
      result: { version: '15.0.7', apiVersion: '3.0.3-alpha', srvDate: T0, storage: { storage: 'mongodb', version: expect.any(String) } },
    });
    expect((await call(ns, 'GET', '/api/versions')).body).toEqual([
      { version: '1.0.0', url: '/api/v1' },
      { version: '2.0.0', url: '/api/v2' },
      { version: '3.0.3-alpha', url: '/api/v3' },
    ]);
  });

  it('answers unknown collections and routes with 404 Bad operation or collection', async () => {
    const ns = await start();
    expect((await v3(ns, 'GET', '/activity')).body).toEqual({ status: 404, message: 'Bad operation or collection' });
    expect((await call(ns, 'GET', '/api/v3/entries/a/b/c')).body).toEqual({ status: 404, message: 'Bad operation or collection' });
  });

  it('reports status with the api:undefined permission quirk, and lastModified for readable collections', async () => {
    const ns = await start();
    const boss = await v3(ns, 'GET', '/status', undefined, 'boss');
    expect(boss.body.result.apiPermissions.entries).toBe('crud');
    const uploader = await v3(ns, 'GET', '/status');
    // api:*:create etc. are wildcard grants, so they show; per-collection grants would not.
    expect(uploader.body.result.apiPermissions.treatments).toBe('crud');
    const creator = await v3(ns, 'GET', '/status', undefined, 'creator');
    expect(creator.body.result.apiPermissions.entries).toBe('r');
    await v3(ns, 'POST', '/entries', sgv(T0 - 5 * MIN, 100));
    ns.seed('treatments', { created_at: new Date(T0 + DAY).toISOString(), eventType: 'Note' });
    const lm = await v3(ns, 'GET', '/lastModified');
    expect(lm.body).toEqual({ status: 200, result: { srvDate: T0, collections: { entries: T0, treatments: T0 + DAY } } });
  });
});

describe('API v3 create', () => {
  it('inserts with 201, UUIDv5 identifier, Location and Last-Modified', async () => {
    const ns = await start();
    const res = await v3(ns, 'POST', '/entries', { type: 'sgv', sgv: 120, date: 1405763055000, device: 'dexcom', app: 'gluco-hub' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ status: 201, identifier: '21597b61-91f1-5f0a-9d1c-8b46dbc2e48f', lastModified: T0 });
    expect(res.headers.get('location')).toBe('/api/v3/entries/21597b61-91f1-5f0a-9d1c-8b46dbc2e48f');
    expect(res.headers.get('last-modified')).toBe(new Date(T0).toUTCString());
    const [doc] = ns.docs('entries');
    expect(doc).toMatchObject({
      identifier: '21597b61-91f1-5f0a-9d1c-8b46dbc2e48f',
      date: 1405763055000,
      utcOffset: 0,
      created_at: '2014-07-19T09:44:15.000Z',
      srvCreated: T0,
      srvModified: T0,
      subject: 'Gluco Hub Uploader',
    });
    expect(doc).not.toHaveProperty('sysTime');
    expect(doc).not.toHaveProperty('dateString');
    expect(ns.counters.created.entries).toBe(1);
  });

  it('computes the treatment identifier test vector with eventType', async () => {
    const ns = await start();
    const res = await v3(ns, 'POST', '/treatments', {
      eventType: 'Correction Bolus',
      insulin: 1,
      date: 1613057404186,
      device: 'Samsung XCover 4-861536030196001',
      app: 'AAPS',
    });
    expect(res.body.identifier).toBe('5b0f7124-475f-5db0-824c-a73c5eea0975');
  });

  it('keeps a client identifier as is', async () => {
    const ns = await start();
    const res = await v3(ns, 'POST', '/entries', sgv(T0, 99, { identifier: 'my-own-id' }));
    expect(res.body.identifier).toBe('my-own-id');
    expect((await v3(ns, 'GET', '/entries/my-own-id')).body.result.sgv).toBe(99);
  });

  it('normalizes dates: seconds, numeric strings, ISO with offset, created_at fallback', async () => {
    const ns = await start();
    await v3(ns, 'POST', '/entries', sgv(1705312800, 1, { device: 'a' }));
    await v3(ns, 'POST', '/entries', sgv('1705312800000' as unknown as number, 2, { device: 'b' }));
    await v3(ns, 'POST', '/entries', sgv('2024-01-15T12:00:00.123+02:00' as unknown as number, 3, { device: 'c' }));
    const fallback = { eventType: 'Note', notes: 'n', created_at: '2024-01-15T13:30:00+01:00', app: 'x', device: 'd' };
    await v3(ns, 'POST', '/treatments', fallback);
    const entries = ns.docs('entries');
    expect(entries.map((d) => [d.date, d.utcOffset, d.created_at])).toEqual([
      [1705312800000, 0, '2024-01-15T10:00:00.000Z'],
      [1705312800000, 0, '2024-01-15T10:00:00.000Z'],
      [Date.UTC(2024, 0, 15, 10, 0, 0, 123), 120, '2024-01-15T10:00:00.123Z'],
    ]);
    expect(ns.docs('treatments')[0]).toMatchObject({ date: Date.UTC(2024, 0, 15, 12, 30), utcOffset: 60, created_at: '2024-01-15T12:30:00.000Z' });
  });

  it('validates with the server messages', async () => {
    const ns = await start();
    const cases: [unknown, string][] = [
      [{ type: 'sgv', sgv: 1, date: T0, device: 'x' }, 'Bad or missing app field'],
      [{ type: 'sgv', sgv: 1, device: 'x', app: 'a' }, 'Bad or missing date field'],
      [{ type: 'sgv', sgv: 1, date: '1999-12-31T23:59:59Z', app: 'a' }, 'Bad or missing date field'],
      [sgv(T0, 1, { utcOffset: 2000 }), 'Bad or missing utcOffset field'],
      [sgv(T0, 1, { utcOffset: '60' }), 'Bad or missing utcOffset field'],
      [sgv(T0, 1, { identifier: 5 }), 'Bad or missing identifier field'],
      [{}, 'Bad or missing request body'],
      [[], 'Bad or missing request body'],
      [[sgv(T0, 1)], 'Bad or missing date field'],
    ];
    for (const [body, message] of cases) {
      const res = await v3(ns, 'POST', '/entries', body);
      expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: { status: 400, message } });
    }
    expect(ns.count('entries')).toBe(0);
  });

  it('maps malformed JSON to 500 and a non-JSON content type to an empty body', async () => {
    const ns = await start();
    const jwt = await jwtFor(ns, 'Gluco Hub Uploader');
    const broken = await call(ns, 'POST', '/api/v3/entries', { headers: bearer(jwt), raw: '{"date": ' });
    expect(broken.status).toBe(500);
    expect(broken.body).toEqual({ status: 500, message: 'Internal Server Error' });
    const text = await call(ns, 'POST', '/api/v3/entries', { headers: bearer(jwt), raw: JSON.stringify(sgv(T0, 1)), contentType: 'text/plain' });
    expect(text.body).toEqual({ status: 400, message: 'Bad or missing request body' });
  });

  it('deduplicates by identifier: 200, full replace, srvCreated kept', async () => {
    const ns = await start();
    await v3(ns, 'POST', '/entries', sgv(T0, 100, { noise: 1, direction: 'Flat' }));
    clock += MIN;
    const res = await v3(ns, 'POST', '/entries', sgv(T0, 101));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 200, lastModified: T0 + MIN, identifier: res.body.identifier, isDeduplication: true });
    expect(res.headers.get('location')).toBe(`/api/v3/entries/${res.body.identifier as string}`);
    const docs = ns.docs('entries');
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ sgv: 101, srvCreated: T0, srvModified: T0 + MIN });
    expect(docs[0]).not.toHaveProperty('noise');
    expect(ns.counters.deduplicated.entries).toBe(1);
  });

  it('collides sgv and mbg of the same device and date (type is not in the key)', async () => {
    const ns = await start();
    await v3(ns, 'POST', '/entries', sgv(T0, 100));
    const res = await v3(ns, 'POST', '/entries', { type: 'mbg', mbg: 130, date: T0, device: 'gluco-hub', app: 'gluco-hub' });
    expect(res.status).toBe(200);
    expect(ns.docs('entries').map((d) => d.type)).toEqual(['mbg']);
  });

  it('refuses to change immutable fields, in the server order', async () => {
    const ns = await start();
    await v3(ns, 'POST', '/entries', sgv(T0, 100));
    const both = await v3(ns, 'POST', '/entries', sgv(T0, 100, { utcOffset: 60, app: 'other' }));
    expect(both.body).toEqual({ status: 400, message: 'Field utcOffset cannot be modified by the client' });
    const app = await v3(ns, 'POST', '/entries', sgv(T0, 100, { app: 'other' }));
    expect(app.body).toEqual({ status: 400, message: 'Field app cannot be modified by the client' });
    const id = ns.docs('entries')[0]!.identifier as string;
    const eventType = await v3(ns, 'POST', '/entries', sgv(T0 + 1, 1, { identifier: id, eventType: 'x', date: T0 }));
    expect(eventType.body).toEqual({ status: 400, message: 'Field eventType cannot be modified by the client' });
  });

  it('needs update permission to deduplicate', async () => {
    const ns = await start();
    expect((await v3(ns, 'POST', '/entries', sgv(T0, 100), 'creator')).status).toBe(201);
    const retry = await v3(ns, 'POST', '/entries', sgv(T0, 100), 'creator');
    expect(retry.status).toBe(403);
    expect(retry.body).toEqual({ status: 403, message: 'Missing permission api:entries:update' });
  });

  it('falls back to {date,type} only against documents without identifier', async () => {
    const ns = await start();
    const legacy = ns.seed('entries', { type: 'sgv', sgv: 90, date: T0, utcOffset: 0, device: 'xDrip', app: 'gluco-hub' });
    const hit = await v3(ns, 'POST', '/entries', sgv(T0, 91, { device: 'xDrip' }));
    expect(hit.status).toBe(200);
    expect(hit.body).toMatchObject({ isDeduplication: true, deduplicatedIdentifier: legacy._id });
    const stored = ns.docs('entries');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ _id: legacy._id, sgv: 91, identifier: hit.body.identifier });

    // Now it has an identifier: another device at the same date/type is a new document.
    const other = await v3(ns, 'POST', '/entries', sgv(T0, 92, { device: 'other' }));
    expect(other.status).toBe(201);
    expect(ns.count('entries')).toBe(2);
  });

  it('rejects dedup against a v1 entry lacking app with Field app', async () => {
    const ns = await start();
    const headers = { 'api-secret': ns.apiSecretSha1 };
    await call(ns, 'POST', '/api/v1/entries.json', { headers, body: [{ type: 'sgv', sgv: 100, date: T0, device: 'xDrip' }] });
    const res = await v3(ns, 'POST', '/entries', sgv(T0, 100, { device: 'xDrip' }));
    expect(res.body).toEqual({ status: 400, message: 'Field app cannot be modified by the client' });
  });

  it('treatments fall back on {created_at,eventType}', async () => {
    const ns = await start();
    ns.seed('treatments', { eventType: 'Note', created_at: '2024-01-15T12:00:00.000Z', date: T0, utcOffset: 0, app: 'a', device: 'd' });
    const res = await v3(ns, 'POST', '/treatments', { eventType: 'Note', created_at: '2024-01-15T12:00:00Z', app: 'a', device: 'd', notes: 'x' });
    expect(res.status).toBe(200);
    expect(ns.count('treatments')).toBe(1);
  });
});

describe('API v3 read, update, patch, delete', () => {
  it('reads by identifier or v1 _id, 404 when missing', async () => {
    const ns = await start();
    const created = await v3(ns, 'POST', '/entries', sgv(T0, 100));
    const read = await v3(ns, 'GET', `/entries/${created.body.identifier as string}?fields=sgv,date`);
    expect(read.body).toEqual({ status: 200, result: { sgv: 100, date: T0 } });
    expect(read.headers.get('last-modified')).toBe(new Date(T0).toUTCString());
    const legacy = ns.seed('entries', { type: 'sgv', sgv: 80, date: T0 - HOUR });
    const v1 = await v3(ns, 'GET', `/entries/${legacy._id}`);
    expect(v1.body.result).toMatchObject({ identifier: legacy._id, sgv: 80, srvModified: T0 - HOUR, srvCreated: T0 - HOUR });
    expect(v1.body.result).not.toHaveProperty('_id');
    expect((await v3(ns, 'GET', '/entries/nope')).body).toEqual({ status: 404 });
  });

  it('PUT inserts (201) or replaces (200), PATCH merges, DELETE soft-deletes (410 after)', async () => {
    const ns = await start();
    const put = await v3(ns, 'PUT', '/treatments/t-1', { eventType: 'Note', notes: 'a', date: T0, app: 'x' });
    expect(put.status).toBe(201);
    clock += MIN;
    const replaced = await v3(ns, 'PUT', '/treatments/t-1', { eventType: 'Note', notes: 'b', date: T0, app: 'x' });
    expect(replaced.body).toEqual({ status: 200, lastModified: T0 + MIN });
    const patched = await v3(ns, 'PATCH', '/treatments/t-1', { notes: 'c' });
    expect(patched.body).toEqual({ status: 200 });
    expect(ns.docs('treatments')[0]).toMatchObject({ notes: 'c', modifiedBy: 'Gluco Hub Uploader', eventType: 'Note' });
    expect((await v3(ns, 'PATCH', '/treatments/t-1', { app: 'other' })).body).toEqual({
      status: 400,
      message: 'Field app cannot be modified by the client',
    });
    expect((await v3(ns, 'PATCH', '/treatments/none', { notes: 'x' })).body).toEqual({ status: 404 });
    const del = await v3(ns, 'DELETE', '/treatments/t-1');
    expect(del.body).toEqual({ status: 200 });
    expect(ns.docs('treatments')[0]).toMatchObject({ isValid: false });
    expect((await v3(ns, 'GET', '/treatments/t-1')).body).toEqual({ status: 410 });
    expect((await v3(ns, 'GET', '/treatments')).body.result).toEqual([]);
    expect(ns.count('treatments')).toBe(1);
    expect(ns.count('treatments', { includeDeleted: false })).toBe(0);
    expect((await v3(ns, 'DELETE', '/treatments/t-1?permanent=true')).status).toBe(200);
    expect(ns.count('treatments')).toBe(0);
  });

  it('a dedup POST revives a soft-deleted document without immutable checks', async () => {
    const ns = await start();
    const created = await v3(ns, 'POST', '/entries', sgv(T0, 100));
    await v3(ns, 'DELETE', `/entries/${created.body.identifier as string}`);
    const again = await v3(ns, 'POST', '/entries', sgv(T0, 100, { app: 'other' }));
    expect(again.status).toBe(200);
    expect(ns.docs('entries')[0]).not.toHaveProperty('isValid');
  });
});

describe('API v3 search', () => {
  async function seeded(): Promise<FakeNightscout> {
    const ns = await start();
    const values = [100, 150, 80, 200, 120];
    for (const [i, v] of values.entries()) await v3(ns, 'POST', '/entries', sgv(T0 - i * 5 * MIN, v, { direction: i % 2 ? 'Flat' : 'SingleUp' }));
    await v3(ns, 'POST', '/entries', { type: 'mbg', mbg: 111, date: T0 - 2 * MIN, device: 'meter', app: 'gluco-hub' });
    return ns;
  }
  const values = (a: Answer, f = 'sgv'): unknown[] => (a.body.result as Record<string, unknown>[]).map((d) => d[f]);

  it('filters with every operator and coerces values', async () => {
    const ns = await seeded();
    expect(values(await v3(ns, 'GET', '/entries?sgv$gt=120&sort=sgv'))).toEqual([150, 200]);
    expect(values(await v3(ns, 'GET', '/entries?sgv$gte=120&sort=sgv'))).toEqual([120, 150, 200]);
    expect(values(await v3(ns, 'GET', '/entries?sgv$lt=100&sort=sgv'))).toEqual([80]);
    expect(values(await v3(ns, 'GET', '/entries?sgv$lte=100&sort=sgv'))).toEqual([80, 100]);
    expect(values(await v3(ns, 'GET', '/entries?sgv=150'))).toEqual([150]);
    expect(values(await v3(ns, 'GET', '/entries?sgv$eq=150'))).toEqual([150]);
    expect(values(await v3(ns, 'GET', '/entries?type$ne=sgv'), 'mbg')).toEqual([111]);
    expect(values(await v3(ns, 'GET', '/entries?direction$in=Flat|None&sort=sgv'))).toEqual([150, 200]);
    expect(values(await v3(ns, 'GET', '/entries?type$nin=sgv'), 'mbg')).toEqual([111]);
    expect(values(await v3(ns, 'GET', '/entries?device$re=^met'), 'mbg')).toEqual([111]);
    // date filters take any date format; created_at ones become ISO strings.
    const iso = new Date(T0 - 6 * MIN).toISOString();
    expect(values(await v3(ns, 'GET', `/entries?type=sgv&date$gt=${iso}&sort=date`))).toEqual([150, 100]);
    expect(values(await v3(ns, 'GET', `/entries?type=sgv&date$gt=${(T0 - 6 * MIN) / 1000}&sort=date`))).toEqual([150, 100]);
    expect(values(await v3(ns, 'GET', `/entries?type=sgv&created_at$gte=${T0 - 5 * MIN}&sort=date`))).toEqual([150, 100]);
    // Unknown parameters are equality filters too.
    expect(values(await v3(ns, 'GET', '/entries?count=1'))).toEqual([]);
    expect((await v3(ns, 'GET', '/entries?sgv$foo=1')).body).toEqual({ status: 400, message: 'Unsupported filter operator foo' });
  });

  it('sorts, limits, skips and projects', async () => {
    const ns = await seeded();
    const latest = await v3(ns, 'GET', '/entries?type=sgv&sort$desc=date&limit=2&fields=sgv,date');
    expect(latest.body).toEqual({
      status: 200,
      result: [
        { sgv: 100, date: T0 },
        { sgv: 150, date: T0 - 5 * MIN },
      ],
    });
    expect(values(await v3(ns, 'GET', '/entries?type=sgv&sort=date&skip=3'))).toEqual([150, 100]);
    const byId = (await v3(ns, 'GET', '/entries')).body.result as { identifier: string }[];
    expect(byId.map((d) => d.identifier)).toEqual(byId.map((d) => d.identifier).sort());
    expect((await v3(ns, 'GET', '/entries?sort=date&sort$desc=date')).body).toEqual({
      status: 400,
      message: 'Parameters sort and sort_desc cannot be combined',
    });
    for (const limit of ['0', '1001', 'abc', '-1']) {
      expect((await v3(ns, 'GET', `/entries?limit=${limit}`)).body).toEqual({ status: 400, message: 'Parameter limit out of tolerance' });
    }
    expect((await v3(ns, 'GET', '/entries?limit=1000')).status).toBe(200);
    expect((await v3(ns, 'GET', '/entries?skip=-1')).body).toEqual({ status: 400, message: 'Parameter skip out of tolerance' });
  });
});

describe('API v3 history', () => {
  it('returns v3 changes after a timestamp, deletions included, with ETag', async () => {
    const ns = await start();
    const a = await v3(ns, 'POST', '/entries', sgv(T0 - 10 * MIN, 100));
    clock += MIN;
    await v3(ns, 'POST', '/entries', sgv(T0 - 5 * MIN, 110));
    ns.seed('entries', { type: 'sgv', sgv: 50, date: T0 });
    clock += MIN;
    await v3(ns, 'DELETE', `/entries/${a.body.identifier as string}`);
    const all = await v3(ns, 'GET', `/entries/history/${T0 - 1}`);
    expect((all.body.result as { sgv: number; isValid?: boolean }[]).map((d) => [d.sgv, d.isValid])).toEqual([
      [110, undefined],
      [100, false],
    ]);
    expect(all.headers.get('etag')).toBe(`W/"${T0 + 2 * MIN}"`);
    expect(all.headers.get('last-modified')).toBe(new Date(T0 + 2 * MIN).toUTCString());
    const later = await v3(ns, 'GET', `/entries/history/${T0 + MIN}`);
    expect(later.body.result).toHaveLength(1);
    const empty = await v3(ns, 'GET', `/entries/history/${T0 + 2 * MIN}`);
    expect(empty.body).toEqual({ status: 200, result: [] });
    expect(empty.headers.get('etag')).toBeNull();
    const jwt = await jwtFor(ns, 'reader');
    const byHeader = await call(ns, 'GET', '/api/v3/entries/history', { headers: { ...bearer(jwt), 'Last-Modified': new Date(T0 + MIN).toUTCString() } });
    expect(byHeader.body.result).toHaveLength(2);
    expect((await v3(ns, 'GET', '/entries/history/garbage')).body).toEqual({
      status: 400,
      message: 'Bad or missing Last-Modified header/parameter',
    });
  });
});

describe('API v1 authentication', () => {
  it('accepts SHA-1 hex in any case and SHA-512 hex, never the plain secret', async () => {
    const ns = await start({ apiSecret: 'a-very-secret-secret' });
    const post = (secret: string): Promise<Answer> =>
      call(ns, 'POST', '/api/v1/devicestatus.json', { headers: { 'api-secret': secret }, body: { device: 'x' } });
    expect((await post(sha1('a-very-secret-secret'))).status).toBe(200);
    expect((await post(sha1('a-very-secret-secret').toUpperCase())).status).toBe(200);
    expect((await post(sha512('a-very-secret-secret'))).status).toBe(200);
    const plain = await post('a-very-secret-secret');
    expect(plain.status).toBe(401);
    expect(plain.body).toEqual({ status: 401, message: 'Unauthorized', description: 'Invalid/Missing' });
    expect(ns.counters.authFailures).toBe(1);
    expect(ns.requests.map((r) => r.auth)).toEqual(['api-secret', 'api-secret', 'api-secret', 'api-secret']);
  });

  it('accepts ?secret=, access tokens (query or api-secret header) and Bearer JWTs', async () => {
    const ns = await start();
    const body = { device: 'x' };
    expect((await call(ns, 'POST', `/api/v1/devicestatus?secret=${ns.apiSecretSha1}`, { body })).status).toBe(200);
    expect((await call(ns, 'POST', `/api/v1/devicestatus?token=${ns.token('Gluco Hub Uploader')}`, { body })).status).toBe(200);
    expect((await call(ns, 'POST', '/api/v1/devicestatus', { headers: { 'api-secret': ns.token('Gluco Hub Uploader') }, body })).status).toBe(200);
    const jwt = await jwtFor(ns, 'Gluco Hub Uploader');
    expect((await call(ns, 'POST', '/api/v1/devicestatus', { headers: bearer(jwt), body })).status).toBe(200);
    expect((await call(ns, 'POST', '/api/v1/devicestatus', { headers: { Authorization: `bearer ${jwt}` }, body })).status).toBe(401);
    expect(ns.requests.find((r) => r.query.secret)?.query.secret).toBe('***');
    expect(ns.requests.find((r) => r.query.token)?.query.token).toBe('***');
  });

  it('applies default roles without credentials but 401s a wrong credential', async () => {
    const ns = await start();
    expect((await call(ns, 'GET', '/api/v1/entries.json')).status).toBe(200);
    expect((await call(ns, 'GET', '/api/v1/entries.json', { headers: { 'api-secret': sha1('wrong') } })).status).toBe(401);
    expect((await call(ns, 'POST', '/api/v1/entries.json', { body: [sgv(T0, 1)] })).status).toBe(401);
    // POST needs read as well as create.
    const denied = await start({ defaultRoles: 'denied', roles: { ...ROLES, 'create-only': ['api:entries:create'] }, subjects: { c: ['create-only'] } });
    expect((await call(denied, 'POST', `/api/v1/entries?token=${denied.token('c')}`, { body: [sgv(T0, 1)] })).status).toBe(401);
    expect((await call(denied, 'GET', '/api/v1/entries.json')).status).toBe(401);
  });

  it('verifyauth always answers 200 with what the credential allows', async () => {
    const ns = await start();
    const admin = await call(ns, 'GET', '/api/v1/verifyauth', { headers: { 'api-secret': ns.apiSecretSha1 } });
    expect(admin.body).toEqual({
      status: 200,
      message: { canRead: true, canWrite: true, isAdmin: true, message: 'OK', rolefound: 'NOTFOUND', permissions: 'ROLE' },
    });
    const anon = await call(ns, 'GET', '/api/v1/verifyauth');
    expect(anon.body.message).toEqual({ canRead: true, canWrite: false, isAdmin: false, message: 'UNAUTHORIZED', rolefound: 'NOTFOUND', permissions: 'DEFAULT' });
    const reader = await call(ns, 'GET', `/api/v1/verifyauth?token=${ns.token('reader')}`);
    expect(reader.body.message).toMatchObject({ canRead: true, message: 'OK', rolefound: 'FOUND', permissions: 'ROLE' });
    const wrong = await call(ns, 'GET', '/api/v1/verifyauth', { headers: { 'api-secret': 'nope' } });
    expect(wrong.status).toBe(200);
    expect(wrong.body.message).toMatchObject({ canRead: false, message: 'UNAUTHORIZED', permissions: 'ROLE' });
  });

  it('status.json reports the server and a JWT for ?token=', async () => {
    const ns = await start();
    const res = await call(ns, 'GET', `/api/v1/status.json?token=${ns.token('reader')}`);
    expect(res.body).toMatchObject({ status: 'ok', version: '15.0.7', serverTimeEpoch: T0, apiEnabled: true, authorized: { sub: 'reader' } });
  });

  it('stacks the per-IP failure delay on the injected clock', async () => {
    const ns = await start({ authFailDelayMs: 60_000 });
    expect((await call(ns, 'GET', '/api/v1/entries.json', { headers: { 'api-secret': 'bad' } })).status).toBe(401);
    // Past the deadline on the server's clock there is nothing to wait for.
    clock += 61_000;
    const started = Date.now();
    expect((await call(ns, 'GET', '/api/v1/entries.json')).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('API v1 entries', () => {
  it('upserts on {sysTime,type}, $set-merges, and echoes every submitted doc', async () => {
    const ns = await start();
    const headers = { 'api-secret': ns.apiSecretSha1 };
    const batch = [
      { type: 'sgv', sgv: 100, date: T0, dateString: '2024-01-15T13:00:00.000+0100', device: 'xDrip', noise: 1, utcOffset: 999 },
      { type: 'sgv', sgv: 105, date: T0 + 5 * MIN, device: 'xDrip' },
    ];
    const first = await call(ns, 'POST', '/api/v1/entries', { headers, body: batch });
    expect(first.status).toBe(200);
    expect(first.body).toHaveLength(2);
    expect(first.body[0]).toMatchObject({ sysTime: '2024-01-15T12:00:00.000Z', dateString: '2024-01-15T12:00:00.000Z', utcOffset: 60, _id: expect.any(String) });
    expect(first.body[1]).toMatchObject({ sysTime: new Date(T0 + 5 * MIN).toISOString(), utcOffset: 0 });
    expect(first.body[1]).not.toHaveProperty('dateString');

    const again = await call(ns, 'POST', '/api/v1/entries', { headers, body: [{ type: 'sgv', sgv: 101, date: T0, device: 'other' }, { type: 'mbg', mbg: 90, date: T0 }] });
    expect(again.body).toHaveLength(2);
    expect(again.body[0]).not.toHaveProperty('_id');
    expect(again.body[1]).toHaveProperty('_id');
    const docs = ns.docs('entries');
    expect(docs).toHaveLength(3);
    expect(docs[0]).toMatchObject({ sgv: 101, device: 'other', noise: 1, dateString: '2024-01-15T12:00:00.000Z' });
    expect(ns.counters.created.entries).toBe(3);
    expect(ns.counters.deduplicated.entries).toBe(1);
  });

  it('a single object counts only with a date key', async () => {
    const ns = await start();
    const headers = { 'api-secret': ns.apiSecretSha1 };
    expect((await call(ns, 'POST', '/api/v1/entries', { headers, body: { type: 'sgv', sgv: 1 } })).body).toEqual([]);
    expect((await call(ns, 'POST', '/api/v1/entries', { headers, body: { type: 'sgv', sgv: 1, date: T0 } })).body).toHaveLength(1);
    expect(ns.count('entries')).toBe(1);
  });

  it('reads newest first with count, find[...] and a 4-day default window', async () => {
    const ns = await start();
    const headers = { 'api-secret': ns.apiSecretSha1 };
    const body = Array.from({ length: 15 }, (_, i) => ({ type: 'sgv', sgv: 100 + i, date: T0 - i * 5 * MIN }));
    body.push({ type: 'sgv', sgv: 40, date: T0 - 5 * DAY });
    body.push({ type: 'mbg', mbg: 99, date: T0 - MIN } as unknown as (typeof body)[number]);
    await call(ns, 'POST', '/api/v1/entries', { headers, body });
    const sgvs = (a: Answer): unknown[] => (a.body as { sgv?: number }[]).map((d) => d.sgv);
    const def = await call(ns, 'GET', '/api/v1/entries.json');
    expect(def.body).toHaveLength(10);
    expect(def.body[0]).toMatchObject({ sgv: 100 });
    expect(def.body[1]).toMatchObject({ mbg: 99 });
    expect(sgvs(await call(ns, 'GET', '/api/v1/entries/sgv.json?count=3'))).toEqual([100, 101, 102]);
    expect(sgvs(await call(ns, 'GET', '/api/v1/entries/current.json'))).toEqual([100]);
    expect(sgvs(await call(ns, 'GET', '/api/v1/entries.json?count=100&find[type]=sgv'))).toHaveLength(15);
    expect(sgvs(await call(ns, 'GET', `/api/v1/entries.json?count=100&find[type]=sgv&find[date][$gte]=${T0 - 6 * DAY}`))).toHaveLength(16);
    expect(sgvs(await call(ns, 'GET', `/api/v1/entries.json?find[date][$gt]=${T0 - 11 * MIN}`))).toEqual([100, undefined, 101, 102]);
    expect(sgvs(await call(ns, 'GET', '/api/v1/entries.json?find[sgv][$gte]=112&find[sgv][$lt]=114'))).toEqual([112, 113]);
    expect(sgvs(await call(ns, 'GET', '/api/v1/entries.json?count=2&find[type][$in][]=mbg&find[type][$in][]=none'))).toEqual([undefined]);
    const tsv = await call(ns, 'GET', '/api/v1/entries?count=1', { headers: { Accept: 'text/plain' } });
    // Each field JSON-encoded; a missing one (no dateString, direction or device here) is empty.
    expect(tsv.text).toBe(`\t${T0}\t100\t\t`);
  });
});

describe('API v1 treatments and devicestatus', () => {
  it('normalizes treatments: created_at default, numbers, falsy deletions', async () => {
    const ns = await start();
    const headers = { 'api-secret': ns.apiSecretSha1 };
    const res = await call(ns, 'POST', '/api/v1/treatments', {
      headers,
      body: [
        { eventType: 'Temp Basal', absolute: '0', duration: '30', carbs: 0, created_at: '2024-01-15T13:00:00+01:00' },
        { eventType: 'Meal Bolus', insulin: '2.5', carbs: '30', notes: '' },
        { eventType: 'Announcement', notes: 'hi', glucose: 0, glucoseType: 'Finger', created_at: T0 },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body[0]).toEqual({ eventType: 'Temp Basal', absolute: 0, duration: 30, created_at: '2024-01-15T12:00:00.000Z', utcOffset: 60, _id: expect.any(String) });
    expect(res.body[1]).toEqual({ eventType: 'Meal Bolus', insulin: 2.5, carbs: 30, created_at: new Date(T0).toISOString(), utcOffset: 0, _id: expect.any(String) });
    expect(res.body[2]).toEqual({ eventType: 'Announcement', notes: 'hi', isAnnouncement: true, created_at: new Date(T0).toISOString(), utcOffset: 0, _id: expect.any(String) });
  });

  it('deduplicates on {created_at,eventType}, or identifier when sent (15.0.7)', async () => {
    const ns = await start();
    const headers = { 'api-secret': ns.apiSecretSha1 };
    const at = new Date(T0).toISOString();
    await call(ns, 'POST', '/api/v1/treatments', { headers, body: { eventType: 'Correction Bolus', insulin: 1, created_at: at, notes: 'first' } });
    const again = await call(ns, 'POST', '/api/v1/treatments', { headers, body: { eventType: 'Correction Bolus', insulin: 2, created_at: at } });
    expect(again.body[0]).not.toHaveProperty('_id');
    expect(ns.docs('treatments')).toHaveLength(1);
    // Full replace: notes from the first upload are gone.
    expect(ns.docs('treatments')[0]).toMatchObject({ insulin: 2 });
    expect(ns.docs('treatments')[0]).not.toHaveProperty('notes');

    await call(ns, 'POST', '/api/v1/treatments', { headers, body: { eventType: 'Note', identifier: 'abc', created_at: at, notes: 'a' } });
    const moved = await call(ns, 'POST', '/api/v1/treatments', { headers, body: { eventType: 'Note', identifier: 'abc', created_at: new Date(T0 + MIN).toISOString(), notes: 'b' } });
    expect(moved.body[0]._id).toBe(ns.docs('treatments')[1]!._id);
    expect(ns.count('treatments')).toBe(2);
    // A UUID _id becomes the identifier.
    await call(ns, 'POST', '/api/v1/treatments', { headers, body: { _id: 'abc', eventType: 'Note', created_at: at, notes: 'c' } });
    expect(ns.count('treatments')).toBe(2);
    expect(ns.counters.deduplicated.treatments).toBe(3);
  });

  it('reads treatments by created_at ISO with Number()-forced insulin/carbs', async () => {
    const ns = await start();
    const headers = { 'api-secret': ns.apiSecretSha1 };
    await call(ns, 'POST', '/api/v1/treatments', {
      headers,
      body: [
        { eventType: 'Note', notes: 'old', created_at: new Date(T0 - 2 * HOUR).toISOString() },
        { eventType: 'Meal Bolus', carbs: 20, created_at: new Date(T0 - HOUR).toISOString() },
      ],
    });
    const res = await call(ns, 'GET', `/api/v1/treatments.json?find[created_at][$gte]=${encodeURIComponent(new Date(T0 - 90 * MIN).toISOString())}`);
    expect(res.body).toEqual([expect.objectContaining({ eventType: 'Meal Bolus', carbs: 20, insulin: null })]);
    expect((await call(ns, 'GET', '/api/v1/treatments.json?find[eventType]=/meal/i')).body).toHaveLength(1);
  });

  it('never deduplicates devicestatus', async () => {
    const ns = await start();
    const headers = { 'api-secret': ns.apiSecretSha1 };
    const status = { device: 'gluco-hub', created_at: new Date(T0).toISOString(), pump: { reservoir: 100 } };
    await call(ns, 'POST', '/api/v1/devicestatus', { headers, body: status });
    const second = await call(ns, 'POST', '/api/v1/devicestatus.json', { headers, body: [status] });
    expect(second.body).toEqual([{ ...status, utcOffset: 0, _id: expect.any(String) }]);
    expect(ns.count('devicestatus')).toBe(2);
    expect(ns.counters.created.devicestatus).toBe(2);
    expect((await call(ns, 'GET', '/api/v1/devicestatus.json?count=1')).body).toHaveLength(1);
    const bad = await call(ns, 'POST', '/api/v1/devicestatus', { headers, body: { _id: 'not-hex', device: 'x' } });
    expect(bad.body).toEqual({ status: 400, message: 'Invalid _id format', description: 'Must be 24-character hex string or omit for auto-generation. Got: not-hex' });
  });
});

describe('server modes and faults', () => {
  it('v3: false behaves as a server without API v3', async () => {
    const ns = await start({ v3: false });
    expect((await call(ns, 'GET', '/api/v3/version')).status).toBe(404);
    expect((await call(ns, 'GET', `/api/v3/entries?token=x`)).status).toBe(404);
    expect((await call(ns, 'GET', '/api/versions')).body).toEqual([
      { version: '1.0.0', url: '/api/v1' },
      { version: '2.0.0', url: '/api/v2' },
    ]);
    expect((await call(ns, 'POST', '/api/v1/entries', { headers: { 'api-secret': ns.apiSecretSha1 }, body: [sgv(T0, 1)] })).status).toBe(200);
  });

  it("'14.2' accepts ?token= on v3, only lowercase SHA-1, and replaces v1 entries", async () => {
    const ns = await start({ version: '14.2' });
    const created = await call(ns, 'POST', `/api/v3/entries?token=${ns.token('Gluco Hub Uploader')}`, { body: sgv(T0, 100) });
    expect(created.status).toBe(201);
    expect((await call(ns, 'GET', '/api/v3/version')).body.result.version).toBe('14.2.6');
    expect((await call(ns, 'GET', '/api/v1/entries.json', { headers: { 'api-secret': ns.apiSecretSha1.toUpperCase() } })).status).toBe(401);
    const headers = { 'api-secret': ns.apiSecretSha1 };
    await call(ns, 'POST', '/api/v1/entries', { headers, body: [{ type: 'sgv', sgv: 1, date: T0 + MIN, noise: 1 }] });
    await call(ns, 'POST', '/api/v1/entries', { headers, body: [{ type: 'sgv', sgv: 2, date: T0 + MIN }] });
    const v1doc = ns.docs('entries').find((d) => d.sgv === 2);
    expect(v1doc).toBeDefined();
    expect(v1doc).not.toHaveProperty('noise');
  });

  it('failNext answers the next writes with an error and stores nothing', async () => {
    const ns = await start();
    const headers = { 'api-secret': ns.apiSecretSha1 };
    ns.failNext(2, 503);
    expect((await call(ns, 'GET', '/api/v1/entries.json')).status).toBe(200);
    expect((await call(ns, 'POST', '/api/v1/entries', { headers, body: [sgv(T0, 1)] })).status).toBe(503);
    const v3fail = await call(ns, 'POST', '/api/v3/entries', { body: sgv(T0, 1) });
    expect(v3fail.body).toEqual({ status: 503, message: 'Database error' });
    expect((await call(ns, 'POST', '/api/v1/entries', { headers, body: [sgv(T0, 1)] })).status).toBe(200);
    expect(ns.count('entries')).toBe(1);
    expect(ns.counters.faults).toBe(2);
    expect(ns.requests.filter((r) => r.fault === 'fail')).toHaveLength(2);
  });

  it('dropNext destroys the connection, optionally after storing', async () => {
    const ns = await start();
    const headers = { 'api-secret': ns.apiSecretSha1 };
    ns.dropNext(1);
    await expect(call(ns, 'POST', '/api/v1/devicestatus', { headers, body: { device: 'a' } })).rejects.toThrow();
    expect(ns.count('devicestatus')).toBe(0);
    ns.dropNext(1, { afterProcessing: true });
    await expect(call(ns, 'POST', '/api/v1/devicestatus', { headers, body: { device: 'a' } })).rejects.toThrow();
    expect(ns.count('devicestatus')).toBe(1);
  });

  it('handles thousands of documents quickly', async () => {
    const ns = await start();
    const headers = { 'api-secret': ns.apiSecretSha1 };
    const body = Array.from({ length: 5000 }, (_, i) => ({ type: 'sgv', sgv: 100, date: T0 - i * MIN, device: 'x' }));
    const started = Date.now();
    await call(ns, 'POST', '/api/v1/entries', { headers, body });
    await call(ns, 'POST', '/api/v1/entries', { headers, body });
    const jwt = await jwtFor(ns, 'Gluco Hub Uploader');
    for (let i = 0; i < 300; i++) {
      await call(ns, 'POST', '/api/v3/entries', { headers: bearer(jwt), body: sgv(T0 + (i + 1) * MIN, 120) });
    }
    const page = await call(ns, 'GET', '/api/v3/entries?sort$desc=date&limit=1000', { headers: bearer(jwt) });
    expect(page.body.result).toHaveLength(1000);
    expect(ns.count('entries')).toBe(5300);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  batchOf,
  devicestatus,
  entry,
  everyFiveMinutes,
  hasV3,
  JWT,
  jwtExchange,
  outputWith,
  SECRET,
  SECRET_SHA1,
  SERVER,
  signal,
  T0,
  TOKEN,
  treatment,
} from './nightscout.helpers.js';

const FIVE_MIN = 300_000;
/** Up to now plus the allowed clock skew: a document another uploader dated ahead is not "newest". */
const UNTIL_ISO = new Date(T0 + 10 * 60_000).toISOString();
const DS_NEWEST = `/api/v1/devicestatus.json?count=1&find[created_at][$gte]=2000-01-01T00:00:00.000Z&find[created_at][$lte]=${UNTIL_ISO}`;

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** Every POST body of `path`, answered like v1 does: the stored array echoed. */
function acceptPosts(path: string, bodies: unknown[][] = []) {
  nock(SERVER)
    .post(path)
    .times(100)
    .reply((_u, body) => {
      bodies.push(body as unknown[]);
      return [200, body as unknown[]];
    });
  return bodies;
}

/** The server's newest devicestatus, as v1 answers `count=1`. */
function serverNewestDevicestatus(date: number | undefined) {
  const paths: string[] = [];
  nock(SERVER)
    .get('/api/v1/devicestatus.json')
    .query(true)
    .reply((uri) => {
      paths.push(decodeURIComponent(uri));
      return [200, date === undefined ? [] : [{ _id: '5f0c0ffee0c0ffee0c0ffee0', created_at: new Date(date).toISOString(), device: 'other' }]];
    });
  return paths;
}

async function startedV1WithSecret() {
  const made = outputWith({ apiSecret: SECRET });
  await made.output.start();
  return made;
}

describe('Nightscout output, API v1: when and how', () => {
  it('falls back to v1 when the server has no v3, using the JWT as Bearer', async () => {
    jwtExchange();
    hasV3(false);
    const { output, lines } = outputWith({ token: TOKEN });
    await output.start();
    expect(lines.map((l) => l.msg)).toContain(`Nightscout output: API v1 with the access token as a JWT (the server has no API v3) at ${SERVER}`);
    const posted = nock(SERVER, { reqheaders: { authorization: `Bearer ${JWT}` } }).post('/api/v1/entries').reply((_u, b) => [200, b as unknown[]]);
    expect(await output.store(batchOf({ entries: everyFiveMinutes(T0, 3) }), signal())).toEqual({ stored: 3, duplicates: 0 });
    expect(posted.isDone()).toBe(true);
  });

  it('with a token and a secret and no v3 on the server, v1 uses the hashed secret', async () => {
    hasV3(false);
    const { output, lines } = outputWith({ token: TOKEN, apiSecret: SECRET });
    await output.start();
    expect(lines.map((l) => l.msg)).toContain(`Nightscout output: API v1 with the API secret (the server has no API v3) at ${SERVER}`);
    const posted = nock(SERVER, { reqheaders: { 'api-secret': SECRET_SHA1 } }).post('/api/v1/entries').reply((_u, b) => [200, b as unknown[]]);
    await output.store(batchOf({ entries: [entry(T0)] }), signal());
    expect(posted.isDone()).toBe(true);
  });

  it('with a secret alone, uses v1 without asking the server, and says why', async () => {
    const { output, lines } = await startedV1WithSecret();
    expect(lines.map((l) => l.msg)).toContain(`Nightscout output: API v1 with the API secret (no token given) at ${SERVER}`);
    expect(nock.pendingMocks()).toEqual([]);
    const posted = nock(SERVER, { reqheaders: { 'api-secret': SECRET_SHA1 } }).post('/api/v1/entries').reply((_u, b) => [200, b as unknown[]]);
    await output.store(batchOf({ entries: [entry(T0)] }), signal());
    expect(posted.isDone()).toBe(true);
  });

  it('with api v1 configured and a token, uses v1 without probing', async () => {
    jwtExchange();
    const { output, lines } = outputWith({ token: TOKEN, api: 'v1' });
    await output.start();
    expect(lines.map((l) => l.msg)).toContain(`Nightscout output: API v1 with the access token as a JWT (API v1 was configured) at ${SERVER}`);
  });
});

describe('Nightscout output, API v1: documents', () => {
  it('sends arrays of at most 500, entries with date and dateString, treatments with created_at and identifier', async () => {
    const { output } = await startedV1WithSecret();
    const entryBodies = acceptPosts('/api/v1/entries');
    const treatmentBodies = acceptPosts('/api/v1/treatments');
    const entries = everyFiveMinutes(T0, 1200).map(({ dateString: _d, ...e }) => ({ ...e, dateString: 'garbage' }));
    const { created_at: _c, ...bolus } = treatment(T0);
    const result = await output.store(batchOf({ entries, treatments: [bolus as never] }), signal());
    expect(result).toEqual({ stored: 1201, duplicates: 0 });
    expect(entryBodies.map((b) => b.length)).toEqual([500, 500, 200]);
    expect(entryBodies[0]![0]).toMatchObject({ date: T0, dateString: new Date(T0).toISOString(), type: 'sgv', identifier: entries[0]!.identifier });
    expect(treatmentBodies[0]![0]).toMatchObject({ created_at: new Date(T0).toISOString(), eventType: 'Meal Bolus', identifier: bolus.identifier });
  });

  it('a refused array is halved until the bad document stands alone: the rest are stored', async () => {
    const { output, lines } = await startedV1WithSecret();
    const docs = everyFiveMinutes(T0, 5);
    const poison = docs[3]!.identifier;
    nock(SERVER)
      .post('/api/v1/entries')
      .times(20)
      .reply((_u, b) => {
        const body = b as { identifier: string }[];
        return body.some((d) => d.identifier === poison) ? [400, { status: 400, message: 'Bad request' }] : [200, body];
      });
    expect(await output.store(batchOf({ entries: docs }), signal())).toEqual({ stored: 4, duplicates: 0, rejected: 1 });
    const refused = lines.filter((l) => l.err?.code === 'NS012');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.identifier).toBe(poison);
  });

  it('an array answered with a 5xx is halved too: the document at fault fails alone, the others are stored and told', async () => {
    const { output } = await startedV1WithSecret();
    const docs = everyFiveMinutes(T0, 6);
    const poison = docs[4]!.identifier;
    nock(SERVER)
      .post('/api/v1/entries')
      .times(20)
      .reply((_u, b) => {
        const body = b as { identifier: string }[];
        return body.some((d) => d.identifier === poison) ? [500, { status: 500, message: 'Mongo Error' }] : [200, body];
      });
    const told = new Map<string, string>();
    const error: unknown = await output
      .store(batchOf({ entries: docs }), signal(), (_c, ds, outcome) => ds.forEach((d) => told.set(d.identifier, outcome.result)))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NS007' });
    expect(told.get(poison)).toBe('failed');
    expect(docs.slice(0, 4).map((d) => told.get(d.identifier))).toEqual(['stored', 'stored', 'stored', 'stored']);
  });

  it('a 404 (a wrong path prefix) is thrown, never taken as every document being bad', async () => {
    const { output } = await startedV1WithSecret();
    nock(SERVER).post('/api/v1/entries').reply(404, 'Cannot POST /api/v1/entries');
    await expect(output.store(batchOf({ entries: everyFiveMinutes(T0, 4) }), signal())).rejects.toMatchObject({ code: 'NS007' });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a 5xx is thrown as a retryable NS007', async () => {
    const { output } = await startedV1WithSecret();
    nock(SERVER).post('/api/v1/entries').reply(500, { status: 500, message: 'Mongo Error' });
    await expect(output.store(batchOf({ entries: [entry(T0)] }), signal())).rejects.toMatchObject({ code: 'NS007' });
  });
});

describe('Nightscout output, API v1: devicestatus is never sent twice', () => {
  it('sends only what is newer than the server has, and nothing twice across store calls', async () => {
    const { output } = await startedV1WithSecret();
    const asked = serverNewestDevicestatus(T0);
    const bodies = acceptPosts('/api/v1/devicestatus');
    const statuses = [devicestatus(T0 - FIVE_MIN), devicestatus(T0), devicestatus(T0 + FIVE_MIN)];
    expect(await output.store(batchOf({ devicestatus: statuses }), signal())).toEqual({ stored: 1, duplicates: 2 });
    expect(await output.store(batchOf({ devicestatus: statuses }), signal())).toEqual({ stored: 0, duplicates: 3 });
    expect(await output.store(batchOf({ devicestatus: [...statuses, devicestatus(T0 + 2 * FIVE_MIN)] }), signal())).toEqual({ stored: 1, duplicates: 3 });
    expect(bodies.map((b) => b.map((d) => (d as { date: number }).date))).toEqual([[T0 + FIVE_MIN], [T0 + 2 * FIVE_MIN]]);
    expect(asked).toEqual([DS_NEWEST]);
  });

  it('a new output instance (a restart) asks the server and does not resend', async () => {
    const bodies = acceptPosts('/api/v1/devicestatus');
    const first = await startedV1WithSecret();
    serverNewestDevicestatus(undefined);
    await first.output.store(batchOf({ devicestatus: [devicestatus(T0)] }), signal());

    const restarted = await startedV1WithSecret();
    serverNewestDevicestatus(T0);
    expect(await restarted.output.store(batchOf({ devicestatus: [devicestatus(T0), devicestatus(T0 + FIVE_MIN)] }), signal())).toEqual({ stored: 1, duplicates: 1 });
    expect(bodies.map((b) => b.map((d) => (d as { date: number }).date))).toEqual([[T0], [T0 + FIVE_MIN]]);
  });

  it('after a failed write whose outcome is unknown, asks the server again before resending', async () => {
    const { output } = await startedV1WithSecret();
    serverNewestDevicestatus(undefined);
    nock(SERVER).post('/api/v1/devicestatus').reply(502, 'Bad Gateway');
    const status = devicestatus(T0);
    await expect(output.store(batchOf({ devicestatus: [status] }), signal())).rejects.toMatchObject({ code: 'NS007' });
    // The proxy timed out but Nightscout stored it.
    const asked = serverNewestDevicestatus(T0);
    const bodies = acceptPosts('/api/v1/devicestatus');
    expect(await output.store(batchOf({ devicestatus: [status] }), signal())).toEqual({ stored: 0, duplicates: 1 });
    expect(asked).toHaveLength(1);
    expect(bodies).toEqual([]);
  });

  it('a retried write that the server did not store is sent again', async () => {
    const { output } = await startedV1WithSecret();
    serverNewestDevicestatus(undefined);
    nock(SERVER).post('/api/v1/devicestatus').replyWithError('socket hang up');
    await expect(output.store(batchOf({ devicestatus: [devicestatus(T0)] }), signal())).rejects.toMatchObject({ code: 'NS009' });
    serverNewestDevicestatus(undefined);
    const bodies = acceptPosts('/api/v1/devicestatus');
    expect(await output.store(batchOf({ devicestatus: [devicestatus(T0)] }), signal())).toEqual({ stored: 1, duplicates: 0 });
    expect(bodies).toHaveLength(1);
  });
});

describe('Nightscout output, API v1: gap analysis', () => {
  it('asks entries by date beyond the 4-day default window, and the others by created_at', async () => {
    const { output } = await startedV1WithSecret();
    const paths: string[] = [];
    const answer = (body: unknown) => (uri: string) => {
      paths.push(decodeURIComponent(uri));
      return [200, body] as [number, unknown];
    };
    const old = T0 - 30 * 86_400_000;
    nock(SERVER, { reqheaders: { 'api-secret': SECRET_SHA1 } })
      .get('/api/v1/entries.json')
      .query(true)
      .reply(answer([{ date: old, sgv: 100 }]))
      .get('/api/v1/treatments.json')
      .query(true)
      .reply(answer([{ created_at: new Date(T0).toISOString() }]))
      .get('/api/v1/devicestatus.json')
      .query(true)
      .reply(answer([]));
    expect(await output.newest(signal())).toEqual({ entries: old, treatments: T0 });
    expect(paths).toEqual([
      `/api/v1/entries.json?count=1&find[date][$gt]=0&find[date][$lte]=${T0 + 10 * 60_000}`,
      `/api/v1/treatments.json?count=1&find[created_at][$gte]=2000-01-01T00:00:00.000Z&find[created_at][$lte]=${UNTIL_ISO}`,
      DS_NEWEST,
    ]);
  });
});

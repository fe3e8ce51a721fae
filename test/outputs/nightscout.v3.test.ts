import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { classify, UpstreamError } from '../../lib/errors.js';
import {
  batchOf,
  devicestatus,
  entry,
  everyFiveMinutes,
  hasV3,
  JWT,
  jwtExchange,
  outputWith,
  SERVER,
  signal,
  T0,
  TOKEN,
  treatment,
  type LogLine,
} from './nightscout.helpers.js';

const created = (body: Record<string, unknown>) => [201, { status: 201, identifier: body.identifier, lastModified: T0 }] as const;
const deduplicated = (body: Record<string, unknown>) => [200, { status: 200, identifier: body.identifier, lastModified: T0, isDeduplication: true }] as const;

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

async function startedV3(options: { concurrency?: number } = {}) {
  jwtExchange();
  hasV3();
  const made = outputWith({ token: TOKEN }, options);
  await made.output.start();
  return made;
}

const warnings = (lines: LogLine[], code: string) => lines.filter((l) => l.level === 40 && l.err?.code === code);

describe('Nightscout output, API v3: storing', () => {
  it('posts one document per request with our identifier, app, device, utcOffset and dateString, as Bearer JWT', async () => {
    const { output } = await startedV3();
    const bodies: Record<string, unknown>[] = [];
    nock(SERVER, { reqheaders: { authorization: `Bearer ${JWT}` } })
      .post('/api/v3/entries')
      .times(2)
      .reply((_uri, body) => {
        bodies.push(body as Record<string, unknown>);
        return created(body as Record<string, unknown>);
      });
    const docs = everyFiveMinutes(T0, 2).map(({ app: _app, utcOffset: _offset, ...rest }) => ({ ...rest, _id: 'abc', srvModified: 1, mills: 2 }));
    expect(await output.store(batchOf({ entries: docs }), signal())).toEqual({ stored: 2, duplicates: 0 });
    expect(bodies).toHaveLength(2);
    for (const [i, body] of bodies.entries()) {
      expect(Array.isArray(body)).toBe(false);
      expect(body).toMatchObject({ identifier: docs[i]!.identifier, device: docs[i]!.device, app: 'gluco-hub', utcOffset: 0, date: docs[i]!.date, dateString: new Date(docs[i]!.date).toISOString() });
      expect(body).not.toHaveProperty('_id');
      expect(body).not.toHaveProperty('srvModified');
      expect(body).not.toHaveProperty('mills');
    }
  });

  it('counts a deduplicating 200 as already stored', async () => {
    const { output } = await startedV3();
    nock(SERVER).post('/api/v3/entries').reply((_u, b) => created(b as Record<string, unknown>)).post('/api/v3/entries').reply((_u, b) => deduplicated(b as Record<string, unknown>));
    expect(await output.store(batchOf({ entries: everyFiveMinutes(T0, 2) }), signal())).toEqual({ stored: 1, duplicates: 1 });
  });

  it('fills in created_at for treatments and devicestatus, and identifier when absent', async () => {
    const { output } = await startedV3();
    const bodies: Record<string, unknown>[] = [];
    const record = (_u: string, b: nock.Body) => {
      bodies.push(b as Record<string, unknown>);
      return created(b as Record<string, unknown>);
    };
    nock(SERVER).post('/api/v3/treatments').reply(record).post('/api/v3/devicestatus').reply(record);
    const { identifier: expectedId, ...noId } = treatment(T0);
    const batch = batchOf({ treatments: [{ ...noId, created_at: 'yesterday' } as never], devicestatus: [devicestatus(T0 + 1000)] });
    expect(await output.store(batch, signal())).toEqual({ stored: 2, duplicates: 0 });
    expect(bodies[0]).toMatchObject({ identifier: expectedId, created_at: new Date(T0).toISOString() });
    expect(bodies[1]).toMatchObject({ created_at: new Date(T0 + 1000).toISOString() });
  });

  it('a 400 "Field … cannot be modified" is a document already there: counted as duplicate, warned once, not retried', async () => {
    const { output, lines } = await startedV3();
    const posts = nock(SERVER).post('/api/v3/entries').times(3).reply(400, { status: 400, message: 'Field app cannot be modified by the client' });
    const result = await output.store(batchOf({ entries: everyFiveMinutes(T0, 3) }), signal());
    expect(result).toEqual({ stored: 0, duplicates: 3 });
    expect(posts.isDone()).toBe(true);
    nock(SERVER).post('/api/v3/entries').reply(400, { status: 400, message: 'Field utcOffset cannot be modified by the client' });
    expect(await output.store(batchOf({ entries: [entry(T0 + 3_600_000)] }), signal())).toEqual({ stored: 0, duplicates: 1 });
    const warned = warnings(lines, 'NS014');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toContain('Field app cannot be modified');
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('any other 4xx rejects that document only: counted, logged with NS012, not thrown', async () => {
    const { output, lines } = await startedV3();
    const docs = everyFiveMinutes(T0, 3);
    nock(SERVER)
      .post('/api/v3/entries')
      .times(3)
      .reply((_u, b) => {
        const body = b as Record<string, unknown>;
        return body.identifier === docs[1]!.identifier ? [400, { status: 400, message: 'Bad or missing utcOffset field' }] : created(body);
      });
    expect(await output.store(batchOf({ entries: docs }), signal())).toEqual({ stored: 2, duplicates: 0, rejected: 1 });
    const rejected = warnings(lines, 'NS012');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.err!.message).toContain('Bad or missing utcOffset field');
    expect(rejected[0]!.identifier).toBe(docs[1]!.identifier);
  });

  it('tells each document as the site answers for it, so what was stored before a failure stays stored', async () => {
    const { output } = await startedV3({ concurrency: 1 });
    const docs = everyFiveMinutes(T0, 4);
    nock(SERVER)
      .post('/api/v3/entries')
      .reply((_u, b) => created(b as Record<string, unknown>))
      .post('/api/v3/entries')
      .reply((_u, b) => deduplicated(b as Record<string, unknown>))
      .post('/api/v3/entries')
      .reply(400, { status: 400, message: 'Bad or missing utcOffset field' })
      .post('/api/v3/entries')
      .reply(500, { status: 500, message: 'Database error' });
    const told: [string, string][] = [];
    const error: unknown = await output
      .store(batchOf({ entries: docs }), signal(), (_c, ds, outcome) => ds.forEach((d) => told.push([d.identifier, outcome.result])))
      .catch((e: unknown) => e);
    expect((error as UpstreamError).code).toBe('NS007');
    expect(told).toEqual([
      [docs[0]!.identifier, 'stored'],
      [docs[1]!.identifier, 'duplicate'],
      [docs[2]!.identifier, 'rejected'],
      [docs[3]!.identifier, 'failed'],
    ]);
  });

  it('a 404 is a wrong URL, not a bad document: thrown (retried), nothing counted as rejected', async () => {
    const { output } = await startedV3();
    nock(SERVER).post('/api/v3/entries').reply(404, { status: 404, message: 'Bad operation or collection' });
    await expect(output.store(batchOf({ entries: [entry(T0)] }), signal())).rejects.toMatchObject({ code: 'NS007' });
  });

  it('a document that fails validation is rejected with NS013 and never sent', async () => {
    const { output, lines } = await startedV3();
    const good = entry(T0);
    const bad = { ...entry(T0 + 300_000), date: 12 }; // seconds in 1970: not a reading
    nock(SERVER).post('/api/v3/entries').once().reply((_u, b) => created(b as Record<string, unknown>));
    expect(await output.store(batchOf({ entries: [good, bad] }), signal())).toEqual({ stored: 1, duplicates: 0, rejected: 1 });
    expect(warnings(lines, 'NS013')).toHaveLength(1);
  });

  it('a 5xx is thrown as a retryable NS007 so the frame retries', async () => {
    const { output } = await startedV3();
    nock(SERVER).post('/api/v3/entries').reply(503, { status: 503, message: 'Service Unavailable' });
    const error: unknown = await output.store(batchOf({ entries: [entry(T0)] }), signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('NS007');
    expect(classify(error, T0)).toEqual({ action: 'retry' });
  });

  it('a network failure is thrown as a retryable NS009', async () => {
    const { output } = await startedV3();
    nock(SERVER).post('/api/v3/entries').replyWithError('socket hang up');
    await expect(output.store(batchOf({ entries: [entry(T0)] }), signal())).rejects.toMatchObject({ code: 'NS009' });
  });

  it('a 200 that is not JSON (a proxy page) is not taken for a stored reading', async () => {
    const { output } = await startedV3();
    nock(SERVER).post('/api/v3/entries').reply(200, '<html>login</html>', { 'content-type': 'text/html' });
    await expect(output.store(batchOf({ entries: [entry(T0)] }), signal())).rejects.toMatchObject({ code: 'NS008' });
  });

  it('keeps at most 4 requests in flight', async () => {
    const { output } = await startedV3();
    const held: ((error: null, reply: readonly [number, unknown]) => void)[] = [];
    let arrived = 0;
    nock(SERVER)
      .post('/api/v3/entries')
      .times(10)
      .reply((_u, b, callback) => {
        arrived += 1;
        held.push((err, reply) => callback(err, reply as [number, Record<string, unknown>]));
        void b;
      });
    const done = output.store(batchOf({ entries: everyFiveMinutes(T0, 10) }), signal());
    await vi.waitFor(() => expect(arrived).toBe(4));
    for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(arrived).toBe(4);
    let maxInFlight = 0;
    while (held.length > 0 || arrived < 10) {
      maxInFlight = Math.max(maxInFlight, held.length);
      const release = held.shift();
      if (release) release(null, [201, { status: 201 }]);
      await vi.waitFor(() => expect(held.length > 0 || arrived === 10).toBe(true));
      if (arrived === 10 && held.length === 0) break;
    }
    expect(maxInFlight).toBe(4);
    expect(await done).toEqual({ stored: 10, duplicates: 0 });
  });

  it('after a 5xx, starts no new request, lets the ones in flight finish, then throws', async () => {
    const { output } = await startedV3({ concurrency: 2 });
    let posted = 0;
    nock(SERVER)
      .post('/api/v3/entries')
      .times(2)
      .reply((_u, b) => {
        posted += 1;
        return posted === 1 ? [502, { status: 502, message: 'Bad Gateway' }] : created(b as Record<string, unknown>);
      });
    await expect(output.store(batchOf({ entries: everyFiveMinutes(T0, 6) }), signal())).rejects.toMatchObject({ code: 'NS007' });
    expect(posted).toBe(2);
  });
});

describe('Nightscout output, API v3: gap analysis', () => {
  it('asks each collection for its newest date up to now (plus the clock skew), and treatments and devicestatus also by created_at', async () => {
    const { output } = await startedV3();
    const v1Written = new Date(T0 + 60_000).toISOString();
    const until = T0 + 10 * 60_000;
    const untilIso = new Date(until).toISOString();
    nock(SERVER, { reqheaders: { authorization: `Bearer ${JWT}` } })
      .get('/api/v3/entries')
      .query({ sort$desc: 'date', limit: '1', fields: 'date', date$lte: String(until) })
      .reply(200, { status: 200, result: [{ date: T0 }] })
      .get('/api/v3/treatments')
      .query({ sort$desc: 'date', limit: '1', fields: 'date', date$lte: String(until) })
      .reply(200, { status: 200, result: [{ date: T0 - 60_000 }] })
      .get('/api/v3/treatments')
      .query({ sort$desc: 'created_at', limit: '1', fields: 'created_at', created_at$lte: untilIso })
      .reply(200, { status: 200, result: [{ created_at: v1Written }] })
      .get('/api/v3/devicestatus')
      .query({ sort$desc: 'date', limit: '1', fields: 'date', date$lte: String(until) })
      .reply(200, { status: 200, result: [] })
      .get('/api/v3/devicestatus')
      .query({ sort$desc: 'created_at', limit: '1', fields: 'created_at', created_at$lte: untilIso })
      .reply(200, { status: 200, result: [] });
    expect(await output.newest(signal())).toEqual({ entries: T0, treatments: T0 + 60_000 });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('reads the bare arrays of servers before 14.2', async () => {
    const { output } = await startedV3();
    nock(SERVER).get('/api/v3/entries').query(true).reply(200, [{ date: T0 }]).get(/\/api\/v3\/(treatments|devicestatus)/).query(true).times(4).reply(200, []);
    expect(await output.newest(signal())).toEqual({ entries: T0 });
  });
});

describe('Nightscout output: lifecycle', () => {
  it('stop waits for the store in flight', async () => {
    const { output } = await startedV3();
    let reply: (() => void) | undefined;
    nock(SERVER)
      .post('/api/v3/entries')
      .reply((_u, b, callback) => {
        reply = () => callback(null, [201, { status: 201, identifier: (b as { identifier: string }).identifier }]);
      });
    const storing = output.store(batchOf({ entries: [entry(T0)] }), signal());
    await vi.waitFor(() => expect(reply).toBeDefined());
    let stopped = false;
    const stopping = output.stop().then(() => (stopped = true));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    reply!();
    await stopping;
    expect(await storing).toEqual({ stored: 1, duplicates: 0 });
  });
});

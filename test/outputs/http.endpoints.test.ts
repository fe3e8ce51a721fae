import { describe, expect, it } from 'vitest';
import type { Metrics } from '../../outputs/http/metrics/types.js';
import { done, entry, established, MINUTE, SIM_BRIDGE, transformed } from '../fakes/bridge-events.js';
import { call, startApi, T0 } from './http.helpers.js';

const json = (r: { headers: Record<string, unknown> }) => expect(r.headers['content-type']).toBe('application/json; charset=utf-8');

describe('HTTP API: health', () => {
  it('GET /healthz answers 200 while the process runs', async () => {
    const api = await startApi();
    const r = await api.get('/healthz');
    expect(r.status).toBe(200);
    json(r);
    expect(r.json()).toEqual({ status: 'ok' });
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('GET /readyz is 503 with each bridge, loop and output state until a session and a recent success, then 200', async () => {
    const api = await startApi();
    const before = await api.get('/readyz');
    expect(before.status).toBe(503);
    expect(before.json()).toMatchObject({
      code: 'HTTP008',
      status: 'not ready',
      ready: false,
      version: '9.9.9',
      bridges: [{ id: 'sim', source: 'simulator', session: 'none', ready: false, loops: [{ name: 'entries' }], outputs: [{ name: 'filesystem', state: 'unknown' }, { name: 'nightscout', state: 'unknown' }] }],
    });

    api.model.observe(established());
    expect((await api.get('/readyz')).status).toBe(503);
    api.model.observe(done('success'));
    api.model.observe({ type: 'frame.stored', bridgeId: 'sim', loop: 'entries', output: 'filesystem', result: { stored: 1, duplicates: 0 } });
    const after = await api.get('/readyz');
    expect(after.status).toBe(200);
    expect(after.json()).toMatchObject({ status: 'ready', ready: true, bridges: [{ session: 'established', ready: true, outputs: [{ name: 'filesystem', state: 'ok' }, {}] }] });

    api.clock.now += 12 * MINUTE;
    expect((await api.get('/readyz')).status).toBe(503);
  });
});

describe('HTTP API: glucose', () => {
  it('GET /glucose/latest is 503 HTTP003 while the cache is empty', async () => {
    const api = await startApi();
    const r = await api.get('/glucose/latest');
    expect(r.status).toBe(503);
    json(r);
    expect(r.json()).toMatchObject({ code: 'HTTP003', message: expect.stringContaining('no reading') as string });
  });

  it('GET /glucose/latest shows the newest reading in both units, with arrow, time, age and source', async () => {
    const api = await startApi();
    api.model.observe(transformed([entry(T0 - 6 * MINUTE, 100), entry(T0 - MINUTE - 5_000, 144, 'FortyFiveUp')]));
    const r = await api.get('/glucose/latest');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({
      sgv: 144,
      mgdl: 144,
      mmol: 8,
      direction: 'FortyFiveUp',
      arrow: '↗',
      date: new Date(T0 - 65_000).toISOString(),
      dateMs: T0 - 65_000,
      ageSeconds: 65,
      source: 'simulator',
      bridge: 'sim',
    });
  });

  it('a reading without a direction has no arrow (null), not a made-up one', async () => {
    const api = await startApi();
    api.model.observe(transformed([entry(T0, 90, null)]));
    expect((await api.get('/glucose/latest')).json()).toMatchObject({ direction: null, arrow: null, mmol: 5 });
  });

  it('GET /glucose answers recent readings newest first: count, since (epoch ms or ISO), and 10 by default', async () => {
    const api = await startApi();
    api.model.observe(transformed(Array.from({ length: 15 }, (_, i) => entry(T0 - i * 5 * MINUTE, 100 + i))));
    const sgvs = async (q: string) => ((await api.get(`/glucose${q}`)).json() as { sgv: number }[]).map((r) => r.sgv);
    expect(await sgvs('')).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    expect(await sgvs('?count=3')).toEqual([100, 101, 102]);
    expect(await sgvs(`?since=${T0 - 15 * MINUTE}`)).toEqual([100, 101, 102]);
    expect(await sgvs(`?since=${new Date(T0 - 15 * MINUTE).toISOString()}&count=2`)).toEqual([100, 101]);
    expect(await sgvs('?count=10000')).toHaveLength(15);
    expect(await sgvs(`?since=${T0}`)).toEqual([]);
  });

  it.each([
    ['count=0', 'count'],
    ['count=-1', 'count'],
    ['count=abc', 'count'],
    ['count=1.5', 'count'],
    ['count=10001', 'count'],
    ['count=', 'count'],
    ['count=1&count=2', 'more than once'],
    ['since=yesterday', 'since'],
    ['since=2025-13-45T00:00:00Z', 'since'],
    ['limit=5', 'unknown parameter "limit"'],
  ])('GET /glucose?%s is 400 HTTP004', async (query, says) => {
    const api = await startApi();
    const r = await api.get(`/glucose?${query}`);
    expect(r.status).toBe(400);
    json(r);
    const body = r.json() as { code: string; message: string };
    expect(body.code).toBe('HTTP004');
    expect(body.message).toContain(says);
  });
});

describe('HTTP API: status page and metrics', () => {
  it('GET / renders the status page from the snapshot, the readings and the units', async () => {
    const api = await startApi();
    api.model.observe(transformed([entry(T0, 120), entry(T0 - 5 * MINUTE, 118)]));
    const r = await api.get('/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    expect(r.body).toBe('<p>page with 2 readings</p>');
    expect(api.pages[0]).toMatchObject({ units: 'mg/dL', snapshot: { version: '9.9.9' }, readings: [{ sgv: 120 }, { sgv: 118 }] });
  });

  it('GET / is 500 HTTP009 when the page cannot be rendered', async () => {
    const api = await startApi({
      renderPage: () => {
        throw new Error('boom');
      },
    });
    const r = await api.get('/');
    expect(r.status).toBe(500);
    expect(r.json()).toMatchObject({ code: 'HTTP009' });
  });

  it('GET /metrics answers what the metrics render, with their content type', async () => {
    const seen: string[] = [];
    const metrics: Metrics = {
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      observe: (e) => seen.push(e.type),
      render: () => Promise.resolve('gluco_hub_up 1\n'),
    };
    const api = await startApi({ metrics });
    const r = await api.get('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(r.body).toBe('gluco_hub_up 1\n');
  });

  it('GET /metrics is 404 when no metrics are wired', async () => {
    const api = await startApi();
    expect((await api.get('/metrics')).status).toBe(404);
  });
});

describe('HTTP API: paths and methods', () => {
  it.each(['/nope', '/glucose/latest/x', '/glucosex', '/HEALTHZ', '/api/v1/entries'])('GET %s is 404 HTTP006 JSON', async (path) => {
    const api = await startApi();
    const r = await api.get(path);
    expect(r.status).toBe(404);
    json(r);
    expect(r.json()).toMatchObject({ code: 'HTTP006' });
  });

  it('a trailing slash is the same endpoint', async () => {
    const api = await startApi();
    expect((await api.get('/healthz/')).status).toBe(200);
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s is 405 HTTP007 with Allow', async (method) => {
    const api = await startApi();
    const r = await call(`${api.base}/glucose/latest`, { method });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD');
    expect(r.json()).toMatchObject({ code: 'HTTP007' });
  });

  it('HEAD answers the headers without a body', async () => {
    const api = await startApi();
    const r = await call(`${api.base}/healthz`, { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('');
    expect(Number(r.headers['content-length'])).toBeGreaterThan(0);
  });
});

describe('HTTP API: several bridges (an account following several people)', () => {
  const people = [
    { ...SIM_BRIDGE, id: 'kids-3f2a9c1b', source: 'linkup' },
    { ...SIM_BRIDGE, id: 'kids-7d41e0aa', source: 'linkup' },
  ];

  it('?bridge= gives one person\'s readings and latest, never the other\'s; a bridge not served here is 400 HTTP004 naming those that are', async () => {
    const api = await startApi({ bridges: people });
    api.model.observe(transformed([entry(T0 - 6 * MINUTE, 101), entry(T0 - MINUTE, 102)], 'kids-3f2a9c1b'));
    api.model.observe(transformed([entry(T0 - 11 * MINUTE, 201), entry(T0 - 2 * MINUTE, 202)], 'kids-7d41e0aa'));

    // Without it, as before: the newest of any bridge, which names its bridge.
    expect((await api.get('/glucose/latest')).json()).toMatchObject({ sgv: 102, bridge: 'kids-3f2a9c1b' });
    expect((await api.get('/glucose/latest?bridge=kids-7d41e0aa')).json()).toMatchObject({ sgv: 202, bridge: 'kids-7d41e0aa' });
    expect((await api.get('/glucose/latest?bridge=kids-3f2a9c1b&t=123')).json()).toMatchObject({ sgv: 102 });
    const one = (await api.get('/glucose?bridge=kids-7d41e0aa&count=10')).json() as { sgv: number; bridge: string }[];
    expect(one.map((r) => [r.sgv, r.bridge])).toEqual([[202, 'kids-7d41e0aa'], [201, 'kids-7d41e0aa']]);
    expect(((await api.get('/glucose?bridge=kids-3f2a9c1b&count=1')).json() as { sgv: number }[]).map((r) => r.sgv)).toEqual([102]);

    for (const path of ['/glucose/latest?bridge=kids', '/glucose?bridge=kids-3f2a9c1', '/glucose?bridge=']) {
      const r = await api.get(path);
      expect(r.status, path).toBe(400);
      expect(r.json()).toMatchObject({ code: 'HTTP004', message: expect.stringContaining('bridges: kids-3f2a9c1b, kids-7d41e0aa') as string });
    }
    const twice = await api.get('/glucose/latest?bridge=kids-3f2a9c1b&bridge=kids-7d41e0aa');
    expect(twice.status).toBe(400);
    expect(twice.json()).toMatchObject({ code: 'HTTP004', message: expect.stringContaining('more than once') as string });
  });

  it('a person with no reading yet: /glucose/latest?bridge= is 503 HTTP003 even when the other has one', async () => {
    const api = await startApi({ bridges: people });
    api.model.observe(transformed([entry(T0 - MINUTE, 102)], 'kids-3f2a9c1b'));
    const r = await api.get('/glucose/latest?bridge=kids-7d41e0aa');
    expect(r.status).toBe(503);
    expect(r.json()).toMatchObject({ code: 'HTTP003' });
  });
});

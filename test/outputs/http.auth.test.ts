import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';
import type { Metrics } from '../../outputs/http/metrics/types.js';
import { Secret } from '../../lib/secret.js';
import { createStatusModel } from '../../outputs/http/cache/model.js';
import { createHttpActor } from '../../outputs/http/index.js';
import { createHandler, isLoopback } from '../../outputs/http/routes.js';
import { captureLog } from '../fakes/capture-log.js';
import { done, entry, established, SIM_BRIDGE, transformed } from '../fakes/bridge-events.js';
import { startApi, T0 } from './http.helpers.js';

const TOKEN = 's3cret-token-0123456789';
const METRICS: Metrics = { contentType: 'text/plain', observe: () => undefined, render: () => Promise.resolve('x 1\n') };

describe('HTTP API with a bearer token', () => {
  it.each(['/', '/glucose/latest', '/glucose?count=1'])('%s answers with the right token', async (path) => {
    const api = await startApi({ token: TOKEN });
    api.model.observe(transformed([entry(T0, 100)]));
    const r = await api.get(path, { Authorization: `Bearer ${TOKEN}` });
    expect(r.status).toBe(200);
  });

  it('accepts the scheme in any case', async () => {
    const api = await startApi({ token: TOKEN });
    expect((await api.get('/glucose', { Authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  it.each([
    ['missing', undefined],
    ['wrong', `Bearer ${TOKEN.replace(/.$/, 'X')}`],
    ['of a different length', 'Bearer short'],
    ['a prefix of it', `Bearer ${TOKEN.slice(0, 10)}`],
    ['empty', 'Bearer '],
    ['another scheme', `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`],
    ['without a scheme', TOKEN],
  ])('%s token → 401 HTTP005 with WWW-Authenticate, for every private endpoint', async (_name, header) => {
    const api = await startApi({ token: TOKEN });
    api.model.observe(transformed([entry(T0, 100)]));
    for (const path of ['/', '/glucose/latest', '/glucose?count=1', '/glucose?count=bad']) {
      const r = await api.get(path, header === undefined ? undefined : { Authorization: header });
      expect(r.status, path).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="gluco-hub"');
      const body = r.json() as { code: string; message: string };
      expect(body.code).toBe('HTTP005');
      expect(r.body).not.toContain(TOKEN);
    }
  });

  it('/healthz, /readyz and /metrics stay public', async () => {
    const api = await startApi({ token: TOKEN, metrics: METRICS });
    expect((await api.get('/healthz')).status).toBe(200);
    expect((await api.get('/readyz')).status).toBe(503);
    expect((await api.get('/metrics')).status).toBe(200);
  });

  it('/readyz without the token says ready or not and counts only: no bridge id, no error (it can name a patient)', async () => {
    const api = await startApi({ token: TOKEN });
    api.model.observe({ type: 'session.failed', bridgeId: 'sim', error: new Error('LLU020 patient "Jane Doe" (id 1234-abcd) is not followed') });
    for (const header of [undefined, { Authorization: 'Bearer wrong' }]) {
      const r = await api.get('/readyz', header);
      expect(r.status).toBe(503);
      expect(r.json()).toEqual({ code: 'HTTP008', message: expect.any(String) as string, status: 'not ready', ready: false, bridgesReady: 0, bridgesTotal: 1 });
      expect(r.body).not.toMatch(/Jane|1234|sim/);
    }
    const full = await api.get('/readyz', { Authorization: `Bearer ${TOKEN}` });
    expect(full.json()).toMatchObject({ status: 'not ready', bridges: [{ id: 'sim', session: 'failed', sessionError: expect.stringContaining('Jane Doe') as string }] });

    api.model.observe(established());
    api.model.observe(done('success'));
    expect((await api.get('/readyz')).json()).toEqual({ status: 'ready', ready: true, bridgesReady: 1, bridgesTotal: 1 });
  });

  it('/metrics needs the token with GLUCO_HUB__HTTP__METRICS_AUTH', async () => {
    const api = await startApi({ token: TOKEN, metrics: METRICS, metricsAuth: true });
    const refused = await api.get('/metrics');
    expect(refused.status).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'HTTP005' });
    expect((await api.get('/metrics', { Authorization: `Bearer ${TOKEN}` })).body).toBe('x 1\n');
  });

  it('without a token every endpoint is open', async () => {
    const api = await startApi();
    api.model.observe(transformed([entry(T0, 100)]));
    expect((await api.get('/glucose/latest')).status).toBe(200);
    expect((await api.get('/')).status).toBe(200);
  });
});

describe('/readyz without a token configured', () => {
  /** One request through the handler, as if from `remoteAddress`. */
  async function readyzFrom(remoteAddress: string): Promise<Record<string, unknown>> {
    const model = createStatusModel([SIM_BRIDGE], { now: () => T0, version: '9.9.9' });
    const handler = createHandler({ model: () => model, renderPage: () => '', now: () => T0, log: createLogger({ level: 'silent', format: 'json' }) });
    const req = { url: '/readyz', method: 'GET', headers: {}, socket: { remoteAddress } } as unknown as IncomingMessage;
    return new Promise((resolve) => {
      const res = {
        headersSent: false,
        writableEnded: false,
        destroyed: false,
        writeHead: () => res,
        end: (body: string) => resolve(JSON.parse(body) as Record<string, unknown>),
      } as unknown as ServerResponse;
      handler(req, res);
    });
  }

  it.each(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])('shows the details to this machine (%s), as before', async (address) => {
    expect(isLoopback(address)).toBe(true);
    expect(await readyzFrom(address)).toMatchObject({ bridges: [{ id: 'sim' }], version: '9.9.9' });
  });

  it.each(['192.168.1.20', '10.0.0.1', '::ffff:192.168.1.20', 'fe80::1', '1270.0.0.1'])('shows counts only to %s', async (address) => {
    expect(isLoopback(address)).toBe(false);
    expect(await readyzFrom(address)).toEqual({ code: 'HTTP008', message: expect.any(String) as string, status: 'not ready', ready: false, bridgesReady: 0, bridgesTotal: 1 });
  });
});

describe('HTTP API bind warning', () => {
  async function startActor(bind: string, token?: string) {
    const captured = captureLog();
    const actor = createHttpActor({
      config: { enabled: true, bind, metricsAuth: false, unit: 'mgdl', ...(token ? { bearerToken: new Secret(token) } : {}) },
      log: captured.log,
      now: () => T0,
      version: '9.9.9',
      gitSha: 'abc',
      renderPage: () => '',
    });
    await actor.start();
    await actor.stop();
    return captured.lines().filter((l) => l.code === 'HTTP013');
  }

  it('a bind beyond this machine without a token warns once, naming the risk and the setting (HTTP013)', async () => {
    const warnings = await startActor('0.0.0.0:0');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40 });
    expect(warnings[0]!.msg).toMatch(/^\[HTTP013\] .*0\.0\.0\.0.*health data on the network.*GLUCO_HUB__HTTP__BEARER_TOKEN/);
  });

  it.each([
    ['with a token', '0.0.0.0:0', TOKEN],
    ['on loopback', '127.0.0.1:0', undefined],
  ])('says nothing %s', async (_name, bind, token) => {
    expect(await startActor(bind, token)).toEqual([]);
  });
});

describe('HTTP API start-up', () => {
  it('a port already in use is ConfigError HTTP001 naming GLUCO_HUB__HTTP__BIND and --http', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await startApi({ bind: `127.0.0.1:${port}` }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('HTTP001');
      expect((err as ConfigError).toUserLine()).toContain(`127.0.0.1:${port}`);
      expect((err as ConfigError).toUserLine()).toContain('GLUCO_HUB__HTTP__BIND');
      expect((err as ConfigError).toUserLine()).toContain('--http');
    } finally {
      blocker.close();
    }
  });

  it('an address that is not this machine is ConfigError HTTP002', async () => {
    const err = await startApi({ bind: '192.0.2.1:0' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('HTTP002');
  });

  it('stop closes idle keep-alive sockets at once and the port is free again', async () => {
    const api = await startApi();
    const { port } = api.server.address();
    const { Agent, get } = await import('node:http');
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve) => get(`${api.base}/healthz`, { agent }, (res) => res.resume().on('end', resolve)));
    const started = Date.now();
    await api.server.stop();
    expect(Date.now() - started).toBeLessThan(500);
    agent.destroy();
    const again = await startApi({ bind: `127.0.0.1:${port}` });
    expect((await again.get('/healthz')).status).toBe(200);
  });

  it.each([
    ['sends its headers too slowly', 'GET /healthz HTTP/1.1\r\nHost: x\r\n'],
    ['sends nothing at all', ''],
  ])('a client that %s is cut off (408 or closed)', async (_name, partial) => {
    const api = await startApi({ timeouts: { headersMs: 150, requestMs: 150, keepAliveMs: 100, checkMs: 25 } });
    const { port } = api.server.address();
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.write(partial);
    const started = Date.now();
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('the defaults bound every socket: headers, whole request and idle keep-alive', async () => {
    const { DEFAULT_TIMEOUTS } = await import('../../outputs/http/server.js');
    expect(DEFAULT_TIMEOUTS.headersMs).toBeLessThanOrEqual(DEFAULT_TIMEOUTS.requestMs);
    expect(DEFAULT_TIMEOUTS.requestMs).toBeLessThanOrEqual(30_000);
    expect(DEFAULT_TIMEOUTS.keepAliveMs).toBeLessThanOrEqual(10_000);
    expect(DEFAULT_TIMEOUTS.checkMs).toBeLessThanOrEqual(DEFAULT_TIMEOUTS.headersMs);
  });

  it('checks those timeouts no more than every 5 s, so an idle bridge is not woken every second', async () => {
    const { DEFAULT_TIMEOUTS } = await import('../../outputs/http/server.js');
    expect(DEFAULT_TIMEOUTS.checkMs).toBeGreaterThanOrEqual(5_000);
  });
});

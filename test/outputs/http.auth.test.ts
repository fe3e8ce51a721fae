import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors.js';
import { entry, transformed } from '../fakes/bridge-events.js';
import { startApi, T0 } from './http.helpers.js';

const TOKEN = 's3cret-token-0123456789';

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
    const api = await startApi({ token: TOKEN, metrics: { contentType: 'text/plain', observe: () => undefined, render: () => Promise.resolve('x 1\n') } });
    expect((await api.get('/healthz')).status).toBe(200);
    expect((await api.get('/readyz')).status).toBe(503);
    expect((await api.get('/metrics')).status).toBe(200);
  });

  it('without a token every endpoint is open', async () => {
    const api = await startApi();
    api.model.observe(transformed([entry(T0, 100)]));
    expect((await api.get('/glucose/latest')).status).toBe(200);
    expect((await api.get('/')).status).toBe(200);
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
});

import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, tempDir, type Running } from './cli.js';
import { call } from '../fakes/http-call.js';
import { freePort, occupiedPort } from '../fakes/brokers.js';

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > until) throw new Error(`not reached in time; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One raw request (no client library to tidy it up), and what came back before the server closed. */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(got));
  });
}

/** SIGTERM, and the exit code (drained: 0). */
async function stop(cli: Running): Promise<number | null> {
  cli.child.kill('SIGTERM');
  return cli.exit;
}

/** Runs `body` against a running CLI, then stops it; a failure in `body` is what the test reports. */
async function whileRunning(cli: Running, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    await stop(cli);
    throw err;
  }
  expect(await stop(cli)).toBe(0);
}

const SIM = { CONNECT_SIMULATOR_INTERVAL: '1', GLUCO_HUB__HTTP__ENABLED: 'true' };

describe('gluco-hub forever serves the HTTP API', () => {
  it('on the simulator: health, readiness, the latest reading with an arrow and recent readings; a second one on the port exits 2 with HTTP001', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const cli = startCli(['forever', '--http', `127.0.0.1:${port}`], { cwd: tempDir(), env: SIM });
    await whileRunning(cli, async () => {
      await cli.until((o) => o.stderr.includes(`HTTP API on ${base}`) && o.stderr.includes(`the HTTP API at ${base}`));

      expect((await call(`${base}/healthz`)).status).toBe(200);
      const ready = await eventually(() => call(`${base}/readyz`), (r) => r.status === 200);
      expect(ready.json()).toMatchObject({ ready: true, bridges: [{ id: 'simulator', session: 'established', ready: true }] });

      const latest = (await call(`${base}/glucose/latest`)).json() as Record<string, unknown>;
      expect(latest).toMatchObject({ source: 'simulator', bridge: 'simulator' });
      expect(latest.sgv).toEqual(expect.any(Number));
      expect(latest.arrow).toMatch(/^[⤊⇈↑↗→↘↓⇊⤋]$/u);
      // Fresh, not a back-filled day old; the margin is for a machine busy with other suites.
      expect(latest.ageSeconds).toBeLessThan(30);

      const recent = (await call(`${base}/glucose?count=5`)).json() as { dateMs: number }[];
      expect(recent).toHaveLength(5);
      expect(recent.map((r) => r.dateMs)).toEqual([...recent.map((r) => r.dateMs)].sort((a, b) => b - a));
      expect((await call(`${base}/glucose?count=zero`)).status).toBe(400);
      expect((await call(`${base}/`)).status).toBe(200);

      // This one request used to end the whole process (an unhandled rejection from `new URL`).
      expect(await rawRequest(port, 'GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 404 [\s\S]*"code":"HTTP006"/);
      expect((await call(`${base}/healthz`)).status).toBe(200);

      const second = await runCli(['forever', '--http', `127.0.0.1:${port}`], { cwd: tempDir(), env: SIM, timeoutMs: 45_000 });
      expect(second.code).toBe(2);
      expect(second.stderr).toContain('[HTTP001]');
      expect(second.stderr).toContain('GLUCO_HUB__HTTP__BIND');
      expect(second.stderr).not.toMatch(/\n\s+at /);
    });
  }, 120_000);

  it('a port already in use exits 2 with HTTP001 before any bridge starts: no reading fetched, nothing written', async () => {
    const blocker = await occupiedPort();
    const { port } = blocker;
    const cwd = tempDir();
    try {
      const run = await runCli(['forever', '--http', `127.0.0.1:${port}`, '--data-dir', join(cwd, 'data')], { cwd, env: SIM });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('[HTTP001]');
      expect(existsSync(join(cwd, 'data'))).toBe(false);
      expect(run.stderr).not.toMatch(/entries:|treatments:/);
    } finally {
      blocker.close();
    }
  });

  it('with a bearer token, /glucose/latest needs it and the token never appears in the logs', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const token = 'tok-e2e-9f8e7d6c5b4a';
    const cli = startCli(['forever', '--log-level', 'trace'], { cwd: tempDir(), env: { ...SIM, GLUCO_HUB__HTTP__BIND: `127.0.0.1:${port}`, GLUCO_HUB__HTTP__BEARER_TOKEN: token } });
    await whileRunning(cli, async () => {
      await cli.until((o) => o.stderr.includes(`HTTP API on ${base}`));
      await eventually(() => call(`${base}/glucose/latest`, { headers: { Authorization: `Bearer ${token}` } }), (r) => r.status === 200);
      expect((await call(`${base}/glucose/latest`)).status).toBe(401);
      expect((await call(`${base}/glucose/latest`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await call(`${base}/healthz`)).status).toBe(200);
    });
    const { stdout, stderr } = cli.output();
    expect(stdout + stderr).not.toContain(token);
  });

  it('GLUCO_HUB__HTTP__UNIT=mmol shows the status page in mmol/L', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const cli = startCli(['forever'], { cwd: tempDir(), env: { ...SIM, GLUCO_HUB__HTTP__BIND: `127.0.0.1:${port}`, GLUCO_HUB__HTTP__UNIT: 'MMOL' } });
    await whileRunning(cli, async () => {
      const latest = await eventually(() => call(`${base}/glucose/latest`), (r) => r.status === 200);
      const { mmol } = JSON.parse(latest.body) as { mmol: number };
      const page = await call(`${base}/`);
      expect(page.body).toContain('mmol/L');
      expect(page.body).toContain(`>${mmol.toFixed(1)}<`);
    });
  });

  it('check-config shows the HTTP settings with the token masked', async () => {
    const run = await runCli(['check-config'], { cwd: tempDir(), env: { GLUCO_HUB__HTTP__BEARER_TOKEN: 'tok-check-123456', GLUCO_HUB__HTTP__BIND: '0.0.0.0:9090' } });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ http: { enabled: false, bind: '0.0.0.0:9090', bearerToken: '***' } });
    expect(run.stdout + run.stderr).not.toContain('tok-check-123456');
  });

  it('a bad bind is a coded configuration error naming the setting', async () => {
    const run = await runCli(['forever', '--http', 'localhost'], { cwd: tempDir(), env: SIM });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('http.bind');
    expect(run.stderr).toContain('GLUCO_HUB__HTTP__BIND');
    expect(run.stderr).toContain('--http');
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startAedes, type TestBroker } from '../fakes/brokers.js';
import { fakeSites } from '../fakes/nightscout-sites.js';
import { HAVE_REDIS, startRedis } from '../fakes/redis.js';
import { BIN, startCli, tempDir } from './cli.js';

/**
 * What a bridge loads, read from the real CLI through a test-only preload (record-loaded-modules.cjs)
 * that lists every module at exit: libraries the configuration does not use stay unloaded, and
 * axios does not pull in Node's undici. The positive cases prove the list would show them.
 */

const RECORDER = join(import.meta.dirname, 'record-loaded-modules.cjs');
const SECRET = 'fake-nightscout-secret';
const site = fakeSites({ apiSecret: SECRET });

/** A frame's line, JSON or pretty: `entries: 288 new, 0 already stored …`. */
const FRAME_STORED = /entries: \d+ new/;

/** Runs `forever` (the simulator at its 5-minute pace: one back-fill frame) until a frame is stored, stops it, and returns what it loaded. */
async function modulesLoaded(env: Record<string, string>, args: string[] = []): Promise<string[]> {
  const cwd = tempDir();
  const list = join(cwd, 'loaded-modules.txt');
  const run = startCli(['forever', ...args], {
    cwd,
    command: [process.execPath, '--require', RECORDER, BIN],
    env: { GLUCO_HUB_TEST_LOADED_MODULES: list, ...env },
  });
  await run.until((o) => FRAME_STORED.test(o.stderr), 30_000);
  run.child.kill('SIGTERM');
  expect(await run.exit, run.output().stderr).toBe(0);
  return readFileSync(list, 'utf8').split('\n').filter(Boolean);
}

const UNDICI = 'NativeModule internal/deps/undici/undici';
const pkg = (name: string) => (loaded: readonly string[]) => loaded.some((m) => m.includes(`/node_modules/${name}/`));
const mqtt = pkg('mqtt');
const promClient = pkg('prom-client');
const yaml = pkg('yaml');
const pinoPretty = pkg('pino-pretty');
const axios = pkg('axios');
const asciichart = pkg('asciichart');
/** What `export` and `report` read and compute with: forever never needs it. */
const exportOrReport = (loaded: readonly string[]) => loaded.some((m) => /\/(commands\/(export|report)-(run|format|print)|outputs\/filesystem\/read|lib\/glucose-metrics)\.js$/.test(m));
/** The HTTP API's own server: only with the API on. */
const httpApi = (loaded: readonly string[]) => loaded.some((m) => m.endsWith('/outputs/http/server.js'));
const ioredis = pkg('ioredis');
const rateLimiter = pkg('rate-limiter-flexible');

describe('modules a bridge loads', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startAedes();
  });
  afterAll(() => broker.close());

  it('Nightscout only, HTTP off: axios over http, and no undici, mqtt, prom-client, HTTP server, yaml, pino-pretty or capture\'s chart', async () => {
    const ns = await site();
    const loaded = await modulesLoaded({ CONNECT_NIGHTSCOUT_ENDPOINT: ns.url, CONNECT_API_SECRET: SECRET, GLUCO_HUB__LOG__FORMAT: 'auto' });
    expect(ns.docs('entries').length).toBeGreaterThan(0);
    expect(axios(loaded)).toBe(true);
    expect(loaded).not.toContain(UNDICI);
    expect(mqtt(loaded)).toBe(false);
    expect(promClient(loaded)).toBe(false);
    expect(httpApi(loaded)).toBe(false);
    expect(yaml(loaded)).toBe(false);
    expect(pinoPretty(loaded)).toBe(false);
    expect(asciichart(loaded)).toBe(false);
    expect(exportOrReport(loaded)).toBe(false);
    expect(ioredis(loaded)).toBe(false);
    expect(rateLimiter(loaded)).toBe(false);
  }, 60_000);

  it('HTTP API on: its server, and prom-client for /metrics, load', async () => {
    const loaded = await modulesLoaded({ GLUCO_HUB__HTTP__ENABLED: 'true', GLUCO_HUB__HTTP__BIND: `127.0.0.1:${await freePort()}` });
    expect(httpApi(loaded)).toBe(true);
    expect(promClient(loaded)).toBe(true);
    expect(mqtt(loaded)).toBe(false);
  }, 60_000);

  // aedes speaks MQTT 3.1.1 only.
  it('MQTT configured: mqtt loads', async () => {
    const loaded = await modulesLoaded({ GLUCO_HUB__MQTT__URL: broker.url, GLUCO_HUB__MQTT__PROTOCOL_VERSION: '4' });
    expect(mqtt(loaded)).toBe(true);
    expect(promClient(loaded)).toBe(false);
  }, 60_000);

  it('--config: yaml loads; a pretty log: pino-pretty loads', async () => {
    const dir = tempDir();
    const config = join(dir, 'bridges.yaml');
    writeFileSync(config, 'bridges:\n  - id: sim\n    source: { kind: simulator }\n');
    const loaded = await modulesLoaded({ GLUCO_HUB__LOG__FORMAT: 'pretty' }, ['--config', config]);
    expect(yaml(loaded)).toBe(true);
    expect(pinoPretty(loaded)).toBe(true);
    // The default filesystem output runs here, and its reader for export still stays out.
    expect(loaded.some((m) => m.endsWith('/outputs/filesystem/index.js'))).toBe(true);
    expect(exportOrReport(loaded)).toBe(false);
  }, 60_000);

  it.skipIf(!HAVE_REDIS)('state in Redis (a fleet): ioredis and rate-limiter-flexible (fleet-wide budgets) load; without a state URL they did not', async () => {
    const redis = await startRedis();
    try {
      // A short lease: a fresh Redis makes a fleet wait most of one before it takes a bridge.
      const loaded = await modulesLoaded({ GLUCO_HUB__STATE__URL: redis.url, GLUCO_HUB__FLEET__LEASE_MS: '2000' });
      expect(ioredis(loaded)).toBe(true);
      expect(rateLimiter(loaded)).toBe(true);
      expect(mqtt(loaded)).toBe(false);
    } finally {
      await redis.close();
    }
  }, 60_000);
});

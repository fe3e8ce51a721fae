import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { BridgeEvent } from '../../lib/contracts/bridge-events.js';
import { loadConfig } from '../../lib/config/load.js';
import { Hub } from '../../app/hub.js';
import { createLogger } from '../../lib/logger.js';
import type { BridgeInfo, Reading } from '../../outputs/http/cache/types.js';
import { createHttpActor } from '../../outputs/http/index.js';
import { tempDir } from '../e2e/cli.js';
import { call } from '../fakes/http-call.js';

describe('the hub feeds the HTTP actor', () => {
  it('tells what it built before the first event, and the API becomes ready on the simulator', async () => {
    const cwd = tempDir();
    const config = loadConfig({ env: { CONNECT_SIMULATOR_INTERVAL: '1', GLUCO_HUB__HTTP__BIND: '127.0.0.1:0' }, cli: { filesystemDir: join(cwd, 'data') }, cwd });
    const log = createLogger({ level: 'silent', format: 'json' });
    const order: string[] = [];
    let built: BridgeInfo[] = [];
    const seen = vi.fn<(metricsEvent: BridgeEvent) => void>();
    const http = createHttpActor({
      config: config.http,
      log,
      now: Date.now,
      version: '0.0.0-test',
      gitSha: 'abc123',
      renderPage: ({ readings }) => `<p>${readings.length}</p>`,
      createMetrics: (options) => {
        expect(options).toMatchObject({ version: '0.0.0-test', gitSha: 'abc123' });
        return { contentType: 'text/plain', observe: seen, render: () => Promise.resolve('gluco_hub_test 1\n') };
      },
    });
    const hub = new Hub({
      log,
      onBuilt: (bridges) => {
        order.push('built');
        built = bridges;
        http.build(bridges);
      },
      observe: (e) => {
        if (order.at(-1) !== 'event') order.push('event');
        http.observe(e);
      },
    });
    await hub.start(config);
    await http.start();
    try {
      expect(order[0]).toBe('built');
      expect(built).toEqual([
        {
          id: 'simulator',
          source: 'simulator',
          outputs: ['filesystem'],
          loops: [
            { name: 'entries', expectedIntervalMs: 1_000 },
            { name: 'treatments', expectedIntervalMs: 300_000 },
          ],
        },
      ]);
      const base = http.url();
      await vi.waitFor(async () => expect((await call(`${base}/readyz`)).status).toBe(200), { timeout: 10_000, interval: 100 });
      expect((await call(`${base}/glucose/latest`)).json()).toMatchObject({ bridge: 'simulator', source: 'simulator' });
      expect((await call(`${base}/metrics`)).body).toBe('gluco_hub_test 1\n');
      expect(seen).toHaveBeenCalled();
    } finally {
      await Promise.all([http.stop(), hub.stop()]);
    }
  });
});

describe('the hub keeps recent readings for a warm start', () => {
  async function runOnce(stateDir: string, cwd: string, keepRecent: boolean): Promise<{ restored: Reading[]; firstEventBeforeBuilt: boolean }> {
    const config = loadConfig({ env: { CONNECT_SIMULATOR_INTERVAL: '1', GLUCO_HUB__STATE_DIR: stateDir }, cli: { filesystemDir: join(cwd, 'data') }, cwd });
    let restored: Reading[] = [];
    let built = false;
    let firstEventBeforeBuilt = false;
    let readings = 0;
    const hub = new Hub({
      log: createLogger({ level: 'silent', format: 'json' }),
      keepRecent,
      onBuilt: (_bridges, saved) => {
        built = true;
        restored = saved;
      },
      observe: (e) => {
        if (!built) firstEventBeforeBuilt = true;
        if (e.type === 'frame.transformed') readings += e.batch.entries.length;
      },
    });
    await hub.start(config);
    try {
      await vi.waitFor(() => expect(readings).toBeGreaterThan(0), { timeout: 10_000, interval: 50 });
    } finally {
      await hub.stop();
    }
    return { restored, firstEventBeforeBuilt };
  }

  it('forever (keepRecent) hands the next start what the last one saw, before its first event', async () => {
    const cwd = tempDir();
    const stateDir = join(cwd, 'state');
    expect((await runOnce(stateDir, cwd, true)).restored).toEqual([]);
    const second = await runOnce(stateDir, cwd, true);
    expect(second.firstEventBeforeBuilt).toBe(false);
    expect(second.restored.length).toBeGreaterThan(0);
    expect(second.restored[0]).toMatchObject({ bridge: 'simulator', source: 'simulator' });
  });

  it('without keepRecent (inside Nightscout) nothing is saved', async () => {
    const cwd = tempDir();
    const stateDir = join(cwd, 'state');
    await runOnce(stateDir, cwd, false);
    expect(existsSync(join(stateDir, 'simulator', 'recent-readings.jsonl'))).toBe(false);
  });
});

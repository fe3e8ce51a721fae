import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../fakes/brokers.js';
import { HAVE_REDIS, NO_REDIS, startRedis, type TestRedis } from '../fakes/redis.js';
import { parseMetrics, valueOf } from '../outputs/http.metrics-text.js';
import { runCli, startCli, tempDir, type Running } from './cli.js';

/**
 * A real `forever` in a fleet with its HTTP API on: `/metrics` shows the leases it holds, and
 * `fleet status` (another process) names it as their holder.
 */

const LEASE_MS = 3_000;

describe.skipIf(!HAVE_REDIS)('a fleet process seen from /metrics and from fleet status', () => {
  let redis: TestRedis;
  let run: Running | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.close());
  afterEach(() => {
    if (run && run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    run = undefined;
  });

  it('gauges of the leases held, and the same holder in fleet status', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'bridges.yaml'), 'bridges:\n  - id: alice\n    source: { kind: simulator, intervalSeconds: 60, seed: 1 }\n  - id: bob\n    source: { kind: simulator, intervalSeconds: 60, seed: 2 }\n');
    const port = await freePort();
    const env = { GLUCO_HUB__STATE__URL: redis.url, GLUCO_HUB__FLEET__LEASE_MS: String(LEASE_MS), GLUCO_HUB__LOG__FORMAT: 'json' };
    // Another process holds bob: this one runs alice alone.
    await redis.client.set('gluco-hub:bob:~lease', 'elsewhere:4242:0123456789ab', 'PX', 60_000);
    run = startCli(['forever', '--config', 'bridges.yaml'], { cwd, env: { ...env, GLUCO_HUB__HTTP__ENABLED: 'true', GLUCO_HUB__HTTP__BIND: `127.0.0.1:${port}` } });
    await run.until((o) => o.stderr.includes('fleet: leased bridge'), 20_000);

    const metrics = parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    expect(valueOf(metrics, 'gluco_hub_fleet_bridges_held')).toBe(1);
    expect(valueOf(metrics, 'gluco_hub_fleet_redis_up')).toBe(1);
    expect(valueOf(metrics, 'gluco_hub_fleet_leases_won_total')).toBe(1);
    expect(valueOf(metrics, 'gluco_hub_fleet_lease_remaining_seconds', { bridge: 'alice' })).toBeGreaterThan(0);
    expect(valueOf(metrics, 'gluco_hub_fleet_lease_remaining_seconds', { bridge: 'alice' })).toBeLessThanOrEqual((LEASE_MS * 0.8) / 1000);
    expect(metrics.some((s) => s.name === 'gluco_hub_fleet_lease_remaining_seconds' && s.labels.bridge === 'bob')).toBe(false);

    const status = await runCli(['fleet', 'status', '--json', '--config', 'bridges.yaml'], { cwd, env, timeoutMs: 15_000 });
    expect(status.code, status.stderr).toBe(0);
    const json = JSON.parse(status.stdout) as { holders: { holder: { host: string; pid: number }; bridges: string[] }[]; unheld: string[] };
    expect(json.holders.map((h) => [h.holder.host, h.holder.pid, h.bridges])).toEqual(
      expect.arrayContaining([
        [hostname(), run.child.pid, ['alice']],
        ['elsewhere', 4242, ['bob']],
      ]),
    );
    expect(json.unheld).toEqual([]);

    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    const after = await runCli(['fleet', 'status', '--config', 'bridges.yaml'], { cwd, env, timeoutMs: 15_000 });
    expect(after.stdout).toContain('1 bridge(s) with no holder, polled by no process now: alice');
  }, 60_000);
});

if (!HAVE_REDIS) it.skip(NO_REDIS, () => undefined);

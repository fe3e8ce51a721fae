import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginKey } from '../../lib/fleet/budget-keys.js';
import type { SourceSettings } from '../../lib/config/schema.js';
import { startFakeLibreLinkUp, type FakeLibreLinkUp } from '../fakes/llu-server.js';
import { HAVE_REDIS, startRedis, type TestRedis } from '../fakes/redis.js';
import { startCli, tempDir } from './cli.js';

/**
 * `forever` in a fleet against a fake LibreLink Up: every vendor request leaves from the
 * configured egress address (127.0.0.2, which Linux routes to loopback) and is counted in the
 * fleet's Redis budgets, per bridge and per login, before it is sent.
 */

describe.skipIf(!HAVE_REDIS || process.platform !== 'linux')('fleet-wide vendor budgets and the egress address, end to end', () => {
  let redis: TestRedis;
  let llu: FakeLibreLinkUp;
  beforeAll(async () => {
    redis = await startRedis();
    llu = await startFakeLibreLinkUp();
  });
  afterAll(async () => {
    await llu?.close();
    await redis?.close();
  });

  it('requests leave from GLUCO_HUB__FLEET__LOCAL_ADDRESS, each counted in Redis before it went out', async () => {
    const cwd = tempDir();
    const run = startCli(['forever'], {
      cwd,
      env: {
        CONNECT_SOURCE: 'linkup',
        CONNECT_LINK_UP_USERNAME: llu.scenario.email,
        CONNECT_LINK_UP_PASSWORD: llu.scenario.password,
        CONNECT_LINK_UP_SERVER: llu.url,
        GLUCO_HUB__STATE_DIR: join(cwd, 'state'),
        GLUCO_HUB__FILESYSTEM__DIR: join(cwd, 'data'),
        GLUCO_HUB__STATE__URL: redis.url,
        GLUCO_HUB__STATE__PREFIX: 'egress',
        // A fresh Redis holds no lease from before: a short lease keeps the wait for one short.
        GLUCO_HUB__FLEET__LEASE_MS: '2000',
        GLUCO_HUB__FLEET__LOCAL_ADDRESS: '127.0.0.2',
        GLUCO_HUB__VENDOR_BUDGET__PER_BRIDGE__REQUESTS: '100',
        GLUCO_HUB__VENDOR_BUDGET__PER_BRIDGE__SECONDS: '3600',
        GLUCO_HUB__VENDOR_BUDGET__PER_LOGIN__REQUESTS: '100',
        GLUCO_HUB__VENDOR_BUDGET__PER_LOGIN__SECONDS: '3600',
        GLUCO_HUB__LOG__FORMAT: 'json',
      },
    });
    try {
      await run.until((o) => /"msg":"entries: \d+ new/.test(o.stderr), 30_000);
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exit, run.output().stderr).toBe(0);
    expect(llu.counters.loginSuccesses).toBe(1);
    expect(llu.requests.length).toBeGreaterThanOrEqual(3);
    expect(new Set(llu.requests.map((r) => r.from))).toEqual(new Set(['127.0.0.2']));
    const login = loginKey({ kind: 'linkup', username: llu.scenario.email } as unknown as SourceSettings) as string;
    expect(Number(await redis.client.get('egress:~budget:bridge:linkup'))).toBe(llu.requests.length);
    expect(Number(await redis.client.get(`egress:~budget:login:${login}`))).toBe(llu.requests.length);
  }, 60_000);
});

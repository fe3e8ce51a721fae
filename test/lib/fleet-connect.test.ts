import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../lib/fleet/connect.js';
import { createLogger } from '../../lib/logger.js';
import { HAVE_REDIS, NO_REDIS, startRedis, type TestRedis } from '../fakes/redis.js';

/**
 * A Redis that stops answering but keeps the connection (paused, hung, a network that drops
 * silently) must fail a command within its limit: a lease renewal that hangs forever would keep
 * a process polling bridges it may no longer own (fail-static needs the failure to arrive).
 */
describe.skipIf(!HAVE_REDIS)('the fleet Redis client', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    redis.resume();
    await redis.close();
  });

  it('fails a command to a frozen Redis within commandTimeoutMs, and works again once it answers', async () => {
    const client = await connectRedis({ url: redis.url, commandTimeoutMs: 300, role: 'leases' }, createLogger({ level: 'silent', format: 'json' }));
    try {
      await client.set('k', 'v');
      redis.pause();
      await expect(client.get('k')).rejects.toThrow(/timed out/i);
      redis.resume();
      await expect(client.get('k')).resolves.toBe('v');
    } finally {
      redis.resume();
      client.disconnect();
    }
  });
});

describe.skipIf(HAVE_REDIS)(NO_REDIS, () => it.skip('needs redis-server', () => undefined));

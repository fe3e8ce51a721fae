import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../lib/config/schema.js';
import { Hub } from '../../app/hub.js';
import { createLogger } from '../../lib/logger.js';
import type { BridgeEvent } from '../../lib/contracts/bridge-events.js';
import { tempDir } from '../e2e/cli.js';
import { startFakeLibreLinkUp, type FakeLibreLinkUp } from '../fakes/llu-server.js';

let llu: FakeLibreLinkUp | undefined;
let hub: Hub | undefined;
afterEach(async () => {
  await hub?.stop();
  await llu?.close();
  hub = llu = undefined;
});

describe('a fleet of LibreLink Up bridges in one hub', () => {
  it('staggers their first frames a second apart, and the bridge with a wrong password delays no other', async () => {
    llu = await startFakeLibreLinkUp();
    const cwd = tempDir('gh-fleet-');
    const bridge = (id: string, password: string) => ({
      id,
      source: { kind: 'linkup', username: llu!.scenario.email, password, server: llu!.url },
      filesystem: { dir: join(cwd, id) },
    });
    const config = configSchema.parse({
      stateDir: join(cwd, 'state'),
      vendorBudget: { requestsPerSecond: 20, concurrency: 2 },
      bridges: [bridge('wrong', 'not-the-password'), bridge('good1', llu.scenario.password), bridge('good2', llu.scenario.password)],
    });
    const done: Extract<BridgeEvent, { type: 'frame.done' }>[] = [];
    hub = new Hub({ log: createLogger({ level: 'silent', format: 'json' }), observe: (e) => e.type === 'frame.done' && done.push(e) });
    const started = Date.now();
    await hub.start(config);
    await vi.waitFor(() => expect(done.filter((e) => e.result.outcome === 'success').map((e) => e.bridgeId).sort()).toEqual(['good1', 'good2']), {
      timeout: 10_000,
      interval: 50,
    });
    // Two staggered steps after the wrong one, however its logins fared.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(done.find((e) => e.bridgeId === 'wrong')?.result.outcome).toBe('failed');
    const logins = llu.requests.filter((r) => r.path === '/llu/auth/login').map((r) => r.at);
    expect(logins.length).toBeGreaterThanOrEqual(3);
    const firstThree = logins.slice(0, 3);
    for (let i = 1; i < firstThree.length; i++) expect(firstThree[i]! - firstThree[i - 1]!).toBeGreaterThan(800);
  });
});

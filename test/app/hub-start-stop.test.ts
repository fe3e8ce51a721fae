import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Hub } from '../../app/hub.js';
import { configSchema, type BridgeConfig } from '../../lib/config/schema.js';
import type { BridgeEvent } from '../../lib/contracts/bridge-events.js';
import { createLogger } from '../../lib/logger.js';
import { createStateStore } from '../../lib/state-store.js';
import { tempDir } from '../e2e/cli.js';

const log = createLogger({ level: 'silent', format: 'json' });
let hub: Hub | undefined;
afterEach(async () => {
  await hub?.stop();
  hub = undefined;
});

/** The hub as a fleet's supervisor drives it: everything built, nothing run until a bridge is started. */
describe('hub: one bridge at a time (deferStart)', () => {
  it('runs none at start, then starts and stops single bridges, each start on a fresh build', async () => {
    const cwd = tempDir('gh-hub-switch-');
    const config = configSchema.parse({
      stateDir: join(cwd, 'state'),
      bridges: ['a', 'b'].map((id) => ({ id, source: { kind: 'simulator', seed: id === 'a' ? 1 : 2 }, filesystem: { dir: join(cwd, id) } })),
    });
    const frames: string[] = [];
    const built: string[][] = [];
    const stores: string[] = [];
    hub = new Hub({
      log,
      deferStart: true,
      observe: (e: BridgeEvent) => e.type === 'frame.done' && frames.push(e.bridgeId),
      onBuilt: (bridges) => built.push(bridges.map((b) => b.id)),
      stateFor: (bridge: BridgeConfig) => {
        stores.push(bridge.id);
        return createStateStore(join(cwd, 'elsewhere', bridge.id), log);
      },
    });
    await hub.start(config);
    expect(built).toEqual([['a', 'b']]);
    expect(hub.runningBridges()).toEqual([]);
    expect(frames).toEqual([]);

    await hub.startBridge('a');
    await hub.startBridge('a');
    expect(hub.runningBridges()).toEqual(['a']);
    await vi.waitFor(() => expect(frames).toContain('a'), { timeout: 10_000, interval: 20 });
    // b's simulator would have framed at once had it run.
    expect(frames).not.toContain('b');

    await hub.stopBridge('a');
    await hub.stopBridge('a');
    expect(hub.runningBridges()).toEqual([]);
    const afterStop = frames.length;
    await hub.startBridge('b');
    await vi.waitFor(() => expect(frames).toContain('b'), { timeout: 10_000, interval: 20 });
    await hub.startBridge('a');
    await vi.waitFor(() => expect(frames.slice(afterStop)).toContain('a'), { timeout: 10_000, interval: 20 });
    expect(hub.runningBridges().sort()).toEqual(['a', 'b']);
    // Built once each to describe them, then afresh at every start: a driver reads the state its last owner left.
    expect(stores).toEqual(['a', 'b', 'a', 'b', 'a']);
    await expect(hub.startBridge('nobody')).rejects.toThrow(/no bridge "nobody"/);
  });
});

import { createSimulatorDriver } from '../../sources/simulator/index.js';
import { createFilesystemOutput } from '../../outputs/filesystem/index.js';
import { testDriverContext } from './driver-context.js';

const DAY_MS = 24 * 60 * 60_000;

/**
 * Fills a filesystem output folder the way `forever` would have over `days` days: the seeded
 * simulator is asked once a day for its last 24 h (all it keeps, like a vendor) and every batch
 * is stored by the real filesystem output.
 */
export async function simulatedArchive(dir: string, options: { seed: number; nowMs: number; days: number; intervalSeconds?: number }): Promise<void> {
  let now = options.nowMs - options.days * DAY_MS;
  const driver = createSimulatorDriver({ seed: options.seed, intervalSeconds: options.intervalSeconds ?? 300 }, testDriverContext(() => now));
  const output = createFilesystemOutput({ dir }, { now: () => now });
  await output.start();
  const signal = new AbortController().signal;
  for (; now <= options.nowMs; now += DAY_MS) {
    const session = await driver.session.authorize(await driver.session.authenticate(signal), signal);
    for (const loop of driver.loops) {
      const window = { fromMs: now - DAY_MS, toMs: now };
      const raw = await loop.fetch(session, window, signal);
      await output.store(loop.transform(raw, window), signal);
    }
  }
  await output.stop();
}

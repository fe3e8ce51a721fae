import type { DriverContext, FetchWindow, SourceDriver, SourceLoop } from '../../lib/contracts/source.js';
import { MINUTE_MS } from './events.js';
import { HISTORY_MS, gridFor, type Grid } from './grid.js';
import { simulatorSession, type SimulatorAuth, type SimulatorSession } from './session.js';
import { simulate } from './simulate.js';
import { transformSimulation } from './transform.js';

export type { SimulatorAuth, SimulatorSession } from './session.js';

/** Settings of the built-in simulator source; the config layer validates them. */
export interface SimulatorSettings {
  /** Seconds between simulated readings, at least 1 (config default 300, like a CGM). */
  intervalSeconds: number;
  /** Picks the simulated person and their day; the same seed always yields the same history. */
  seed: number;
  /** Make the pretend login fail with `AuthError` SIM001, to demo or test the auth path. */
  failAuth?: boolean;
}

/** Stable device name: it is part of every document's sync identity. */
export const SIMULATOR_DEVICE = 'gluco-hub-simulator';

interface LoopOptions {
  name: 'entries' | 'treatments';
  seed: number;
  grid: Grid;
  expectedIntervalMs: number;
  now: () => number;
}

function simulatorLoop(options: LoopOptions): SourceLoop<SimulatorSession> {
  const { name, seed, grid, now } = options;
  return {
    name,
    collections: [name],
    expectedIntervalMs: options.expectedIntervalMs,
    lagMs: Math.min(10_000, grid.intervalMs / 5),
    historyMs: HISTORY_MS,
    maxRetries: 3,
    fetch(_session: SimulatorSession, window: FetchWindow, signal: AbortSignal) {
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      return Promise.resolve(simulate(name, seed, grid, window, now()));
    },
    transform: (raw: unknown) => transformSimulation(raw, SIMULATOR_DEVICE),
  };
}

/**
 * The built-in simulator source: a seeded, realistic CGM trace with meal and correction boluses,
 * served like a vendor cloud (readings up to `now`, 24 h of history, the same answer on every
 * fetch of a window). It lets a fresh install show the whole pipeline without an account.
 */
export function createSimulatorDriver(
  settings: SimulatorSettings,
  ctx: DriverContext,
): SourceDriver<SimulatorAuth, SimulatorSession> {
  const grid = gridFor(settings.seed, settings.intervalSeconds);
  const now = () => ctx.now();
  return {
    kind: 'simulator',
    device: SIMULATOR_DEVICE,
    session: simulatorSession({ seed: settings.seed, failAuth: settings.failAuth ?? false }, now),
    loops: [
      simulatorLoop({ name: 'entries', seed: settings.seed, grid, expectedIntervalMs: grid.intervalMs, now }),
      simulatorLoop({
        name: 'treatments',
        seed: settings.seed,
        grid,
        expectedIntervalMs: Math.max(grid.intervalMs, 5 * MINUTE_MS),
        now,
      }),
    ],
  };
}

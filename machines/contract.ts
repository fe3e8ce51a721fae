import type { BridgeEvent, FrameResult } from '../lib/contracts/bridge-events.js';
import type { Output } from '../lib/contracts/output.js';
import type { SourceDriver, SourceLoop } from '../lib/contracts/source.js';
import type { Freshness } from './freshness.js';
import type { Stagger } from './stagger.js';

/**
 * What the composition root hands the poller, and what the machines tell the outside world.
 * The machines import no I/O: the driver and outputs arrive here as plain objects.
 */
export interface PollerInput {
  /** Unique per process; in logs, metrics and file paths. */
  bridgeId: string;
  driver: SourceDriver;
  outputs: readonly Output[];
  /** Observable happenings, for logs, metrics and `capture`. Must not throw. */
  notify: (event: BridgeEvent) => void;
  /** Wall clock (epoch ms), used for gap windows and schedule alignment. */
  now: () => number;
  /** Randomness for jitter; seeded in tests. */
  rand?: () => number;
  /** Run each loop's frame once, then finish (the `capture` command). */
  once?: boolean;
  /** No output may hold up a frame longer than this. */
  outputTimeoutMs?: number;
  /**
   * Shared by every bridge of the process: frames of one vendor (`driver.kind`) never start
   * within a second of each other. Absent for sources that call no vendor (the simulator).
   */
  stagger?: Stagger | undefined;
  /** The next-frame decision; `nextFrameDelayMs` unless a benchmark compares another schedule. */
  schedule?: ScheduleDecision | undefined;
}

/** Delay before the next frame of `loop`, given the last result (schedule.ts `nextFrameDelayMs`). */
export type ScheduleDecision = (
  nowMs: number,
  result: FrameResult,
  failures: number,
  loop: SourceLoop,
  rand: () => number,
  freshness: Freshness,
) => number;

import type { Batch, Collection, NightscoutDocument } from '../lib/domain.js';
import type { ImpossibleReading } from '../lib/glucose-range.js';
import type { DeliveryReport, Output, StoreResult } from '../outputs/types.js';
import type { FetchWindow, SourceDriver, SourceLoop } from '../sources/types.js';
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

export type FrameOutcome = 'success' | 'skipped' | 'failed';

export interface FrameResult {
  outcome: FrameOutcome;
  /** Documents the source returned after transforming. */
  fetched: number;
  /** Newest reading `date` known after the frame (from the batch or the outputs), for alignment. */
  newestEntryMs?: number;
  /** The error that failed or skipped the frame. */
  error?: unknown;
  /** Set when the vendor said not to come back before this time (epoch ms). */
  notBeforeMs?: number;
}

export type BridgeEvent =
  | { type: 'session.established'; bridgeId: string }
  | { type: 'session.failed'; bridgeId: string; error: unknown }
  | { type: 'session.expired'; bridgeId: string }
  /** The vendor call of an attempt begins (`startedMs`, the bridge's clock): a long back-fill can show that it runs. */
  | { type: 'frame.fetching'; bridgeId: string; loop: string; window: FetchWindow; startedMs: number }
  | { type: 'frame.fetched'; bridgeId: string; loop: string; window: FetchWindow; raw: unknown }
  /** Entries whose sgv no sensor can report (SGV001): kept out of the batch; `mgdl` only for the debug log. */
  | { type: 'frame.impossible'; bridgeId: string; loop: string; readings: ImpossibleReading[] }
  | { type: 'frame.transformed'; bridgeId: string; loop: string; batch: Batch }
  /** Documents dated in the future (DLQ004): outputs hold them until their time, the cache never shows them. */
  | { type: 'frame.future'; bridgeId: string; loop: string; documents: { collection: Collection; doc: NightscoutDocument }[]; nowMs: number }
  /** How an output's delivery goes, told by its dead-letter queue between frames too. */
  | { type: 'output.delivery'; bridgeId: string; report: DeliveryReport }
  | { type: 'frame.stored'; bridgeId: string; loop: string; output: string; result: StoreResult }
  | { type: 'frame.outputFailed'; bridgeId: string; loop: string; output: string; error: unknown }
  | { type: 'frame.attemptFailed'; bridgeId: string; loop: string; attempt: number; error: unknown; retryInMs?: number }
  | { type: 'frame.done'; bridgeId: string; loop: string; result: FrameResult; nextInMs?: number };

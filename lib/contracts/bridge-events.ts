import type { Batch, Collection, NightscoutDocument } from '../domain.js';
import type { ImpossibleReading } from '../glucose-range.js';
import type { DeliveryReport, StoreResult } from './output.js';
import type { FetchWindow } from './source.js';

/**
 * What a bridge tells the world as it runs: the machines emit these through `notify`, and the
 * observers (logs, metrics, the status cache, `capture`) read them. Low in the tree so observers
 * need not import the machines.
 */

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

import type { Batch, NewestDates } from '../lib/domain.js';

/** What an output reports after storing a batch. */
export interface StoreResult {
  /** Documents written by this call. */
  stored: number;
  /** Documents skipped because the output already had their identifier. */
  duplicates: number;
  /**
   * Documents the destination refused for good (a 4xx other than auth): each is logged with its
   * code and kept out of this output, so one bad document never blocks every later one.
   * Absent = none.
   */
  rejected?: number;
  /**
   * The destination could not take the batch: this many of its documents went to the output's
   * dead-letter queue (`outputs/reliable/`), to be delivered when it is back. Absent = none.
   */
  queued?: number;
  /** Documents in the dead-letter queue after this call. */
  waiting?: number;
  /** Why the destination could not take the batch (with `queued`). */
  error?: unknown;
}

/**
 * The output contract: every destination (filesystem, Nightscout, MQTT, …) implements it and
 * the fan-out runs each as an actor. `start` fails fast with a coded error when the output
 * cannot work (unwritable directory, bad URL), so a configured output never silently skips.
 */
export interface Output {
  /** `filesystem`, `nightscout`, … — used in logs and metrics. */
  readonly name: string;
  start(): Promise<void>;
  /** Newest stored `date` per collection, for gap analysis; absent = nothing stored yet. */
  newest(signal: AbortSignal): Promise<NewestDates>;
  /** Stores a batch idempotently: an identifier already stored is never written again. */
  store(batch: Batch, signal: AbortSignal): Promise<StoreResult>;
  /** Finishes in-flight writes and releases resources. */
  stop(): Promise<void>;
}

import type { Batch, Collection, NewestDates, NightscoutDocument } from '../domain.js';

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
  /** Documents of this batch that failed on their own while the destination took others: retried later, behind the rest. */
  retrying?: number;
  /** Documents dated in the future: they wait in the dead-letter queue until their time (DLQ004). */
  held?: number;
  /** Documents in the dead-letter queue after this call. */
  waiting?: number;
  /** Why the destination could not take the batch (with `queued`). */
  error?: unknown;
  /**
   * Why documents wait (with `queued` or `waiting`): `backlog` = the destination takes them and
   * the rest follow at its pace; `unavailable` = it takes none now (see `error`).
   */
  delivery?: 'backlog' | 'unavailable';
}

/** What happened to documents of one request, told as it happens. */
export type DocumentOutcome =
  /** The destination has them: written now, or already there. */
  | { result: 'stored' }
  | { result: 'duplicate' }
  /** Refused for good (a 4xx other than auth or rate limit); `error` carries the destination's answer. */
  | { result: 'rejected'; error: Error }
  /** Their own request failed in a way worth retrying (5xx, timeout, reset). */
  | { result: 'failed'; error: unknown };

/**
 * Told by a destination for every document as its request is answered, so a long batch is
 * confirmed piece by piece: what was confirmed before a failure or a deadline stays confirmed.
 * A destination that never calls it confirms the whole batch by resolving `store`.
 */
export type StoreProgress = (collection: Collection, docs: readonly NightscoutDocument[], outcome: DocumentOutcome) => void;

/**
 * The output contract: every destination (filesystem, Nightscout, MQTT, …) implements it. A frame's
 * persist step calls every output at once, each with its own deadline and abort signal
 * (machines/fanout.ts), so one slow output never holds up another. `start` fails fast with a coded error when the output
 * cannot work (unwritable directory, bad URL), so a configured output never silently skips.
 */
export interface Output {
  /** `filesystem`, `nightscout`, … — used in logs and metrics. */
  readonly name: string;
  start(): Promise<void>;
  /** Newest stored `date` per collection, for gap analysis; absent = nothing stored yet. */
  newest(signal: AbortSignal): Promise<NewestDates>;
  /**
   * Stores a batch idempotently: an identifier already stored is never written again. `progress`,
   * when given, hears of each document as the destination answers for it.
   */
  store(batch: Batch, signal: AbortSignal, progress?: StoreProgress): Promise<StoreResult>;
  /**
   * Collections whose backlog this destination takes newest first (the site is current at once, its
   * history fills in behind); absent = oldest first.
   */
  readonly newestFirst?: readonly Collection[];
  /** Finishes in-flight writes and releases resources. */
  stop(): Promise<void>;
}

/** How an output's delivery goes, told by its dead-letter queue (`outputs/reliable/`) as it changes. */
export interface DeliveryReport {
  output: string;
  /** `current`: nothing due waits; `backlog`: the output takes documents and more follow; `unavailable`: it takes none now. */
  state: 'current' | 'backlog' | 'unavailable';
  /** Documents in the queue (future-dated ones included). */
  waiting: number;
  /** Delivered since the backlog began. */
  delivered?: number;
  etaMs?: number | undefined;
  error?: unknown;
}

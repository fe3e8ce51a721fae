import { batchSize, COLLECTIONS, emptyBatch, newestDates, type Batch, type NewestDates } from '../../lib/domain.js';
import { classify, GlucoHubError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { readRecord } from '../../lib/state-record.js';
import type { StateStore } from '../../lib/state-store.js';
import { backoffMs, clampDelay, type BackoffPolicy } from '../../lib/time.js';
import type { Output, StoreResult } from '../types.js';
import { queueFromLines, queueLines, routerStateSchema, stateKeys } from './persisted.js';
import { bound, merge } from './queue.js';
import { confirm, DEFAULT_HORIZON_MS, emptyRouterState, route, seed, watermarks, type RouterState } from './router.js';

/**
 * Every output runs behind this: a router that drops what the output already confirmed, and a
 * dead-letter queue that keeps what it could not take. Both live in the bridge's state store, so
 * a restart neither resends the vendor's whole window nor loses what was waiting. A failed write
 * is queued and the store *succeeds* (reporting `queued`), so a dead output never fails the frame
 * and never delays the other outputs; the queue is retried on its own timer and with every batch.
 */

export interface ReliableOptions {
  state: StateStore;
  log: Logger;
  now: () => number;
  /** The queue never holds more documents than this; the oldest are dropped first (DLQ001). */
  maxEntries: number;
  horizonMs?: number;
  /** The transport's own deadline, shorter than the fan-out's, so a failed write is queued in time. */
  transportTimeoutMs?: number;
  rand?: () => number;
  /** Retry delays while the transport is down (default `DRAIN_BACKOFF`); tests of real brokers shorten it. */
  drainBackoff?: BackoffPolicy;
}

/** Retrying a transport that is down: soon for network trouble, slowly for refused credentials. */
export const DRAIN_BACKOFF: BackoffPolicy = { baseMs: 15_000, capMs: 2 * 60_000 };
export const DRAIN_BACKOFF_REFUSED: BackoffPolicy = { baseMs: 5 * 60_000, capMs: 30 * 60_000 };
export const TRANSPORT_TIMEOUT_MS = 20_000;

function transportTimeout(output: string, ms: number): GlucoHubError {
  return new GlucoHubError('DLQ003', `the ${output} output did not answer within ${Math.round(ms / 1000)} s; the documents are queued`, {
    hint: 'check that output; gluco-hub keeps retrying',
  });
}

class ReliableOutput implements Output {
  readonly name: string;
  readonly #transport: Output;
  readonly #o: Required<Omit<ReliableOptions, 'state' | 'log' | 'now'>> & Pick<ReliableOptions, 'state' | 'log' | 'now'>;
  readonly #keys: { router: string; queue: string };
  #router: RouterState = emptyRouterState();
  #queue: Batch = emptyBatch();
  #askedTransport = false;
  #failures = 0;
  /** Why the queue is not empty, for every frame's report while the output is down. */
  #lastError: unknown;
  #drainTimer: NodeJS.Timeout | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(transport: Output, options: ReliableOptions) {
    this.name = transport.name;
    this.#transport = transport;
    this.#o = {
      horizonMs: DEFAULT_HORIZON_MS,
      transportTimeoutMs: TRANSPORT_TIMEOUT_MS,
      rand: Math.random,
      drainBackoff: DRAIN_BACKOFF,
      ...options,
    };
    this.#keys = stateKeys(transport.name);
  }

  async start(): Promise<void> {
    await this.#transport.start();
    this.#router = (await readRecord(this.#o.state, this.#keys.router, routerStateSchema)) ?? emptyRouterState();
    const { batch, skipped } = queueFromLines((await this.#o.state.readLines(this.#keys.queue)) ?? []);
    if (skipped > 0) this.#o.log.warn({ output: this.name, skipped }, `${this.name}: ${skipped} queued lines were not documents; left out`);
    this.#queue = batch;
    const waiting = batchSize(this.#queue);
    if (waiting > 0) {
      this.#o.log.info({ output: this.name, waiting }, `${this.name}: ${waiting} documents from an earlier run are waiting; delivering them now`);
      this.#scheduleDrain(0);
    }
  }

  /** Watermarks (and what waits in the queue) without a request; the output is asked once per run for what the router does not know. */
  async newest(signal: AbortSignal): Promise<NewestDates> {
    if (!this.#askedTransport && COLLECTIONS.some((c) => this.#router.collections[c] === undefined)) {
      try {
        const reported = await this.#transport.newest(signal);
        this.#askedTransport = true;
        this.#router = seed(this.#router, reported);
      } catch (error) {
        // Down at start-up: what the router knows still bounds the window; with nothing known, the fan-out goes back the full history.
        if (Object.keys(this.#router.collections).length === 0 && batchSize(this.#queue) === 0) throw error;
      }
    }
    const out = watermarks(this.#router);
    for (const [collection, date] of Object.entries(newestDates(this.#queue)) as [keyof NewestDates, number][]) {
      out[collection] = Math.max(out[collection] ?? -Infinity, date);
    }
    return out;
  }

  store(batch: Batch, signal: AbortSignal): Promise<StoreResult> {
    return this.#exclusive(() => this.#store(batch, signal));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#drainTimer);
    await this.#tail.catch(() => undefined);
    await this.#transport.stop();
  }

  /** Stores and drains never overlap: the queue and the watermarks have one writer. */
  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task, task);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #store(batch: Batch, signal: AbortSignal): Promise<StoreResult> {
    const routed = route(this.#router, batch, this.#o.horizonMs);
    const fresh = batchSize(routed.send);
    const waiting = batchSize(this.#queue);
    if (fresh === 0 && waiting === 0) return { stored: 0, duplicates: routed.dropped };
    const toSend = merge(this.#queue, routed.send);
    // While the output is down, new documents join the queue without another doomed request.
    if (waiting > 0 && this.#drainTimer !== undefined && !signal.aborted) {
      await this.#enqueue(toSend, undefined);
      return { stored: 0, duplicates: routed.dropped, queued: fresh, waiting: batchSize(this.#queue), error: this.#lastError };
    }
    try {
      const result = await this.#send(toSend, signal);
      return { ...result, duplicates: result.duplicates + routed.dropped };
    } catch (error) {
      await this.#enqueue(toSend, error);
      return { stored: 0, duplicates: routed.dropped, queued: fresh, waiting: batchSize(this.#queue), error };
    }
  }

  /** Sends, then records the confirmation; a queue that went out is cleared. */
  async #send(batch: Batch, signal: AbortSignal): Promise<StoreResult> {
    const result = await this.#withDeadline(signal, (s) => this.#transport.store(batch, s));
    this.#router = confirm(this.#router, batch, this.#o.horizonMs);
    const delivered = batchSize(this.#queue);
    this.#queue = emptyBatch();
    this.#failures = 0;
    this.#lastError = undefined;
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    await this.#persist(this.#keys.router, this.#router);
    if (delivered > 0) {
      await this.#persistQueue();
      this.#o.log.info({ output: this.name, delivered }, `${this.name}: back; delivered ${delivered} queued documents`);
    }
    return result;
  }

  /**
   * Puts `batch` (already merged with the queue) on disk, bounded. If the queue cannot be
   * written the error propagates: the frame then fails and is retried, so nothing is lost.
   */
  async #enqueue(batch: Batch, error: unknown): Promise<void> {
    const { kept, evicted } = bound(batch, this.#o.maxEntries);
    if (evicted > 0) {
      this.#o.log.warn(
        { output: this.name, evicted, code: 'DLQ001' },
        `[DLQ001] the ${this.name} queue is full (${this.#o.maxEntries} documents): dropped the ${evicted} oldest`,
      );
    }
    await this.#o.state.writeLines(this.#keys.queue, queueLines(kept));
    this.#queue = kept;
    if (error !== undefined) {
      this.#lastError = error;
      this.#failures += 1;
      this.#scheduleDrain(this.#drainDelay(error));
    }
  }

  #drainDelay(error: unknown): number {
    const decision = classify(error, this.#o.now());
    if (decision.action === 'wait') return Math.max(0, decision.untilMs - this.#o.now());
    const policy = decision.action === 'stop' ? DRAIN_BACKOFF_REFUSED : this.#o.drainBackoff;
    return backoffMs(this.#failures, policy, this.#o.rand);
  }

  #scheduleDrain(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#drainTimer);
    this.#drainTimer = setTimeout(() => {
      void this.#exclusive(() => this.#drain());
    }, clampDelay(delayMs));
  }

  async #drain(): Promise<void> {
    if (this.#stopped || batchSize(this.#queue) === 0) {
      this.#drainTimer = undefined;
      return;
    }
    const controller = new AbortController();
    try {
      await this.#send(this.#queue, controller.signal);
    } catch (error) {
      this.#o.log.warn({ output: this.name, err: error, waiting: batchSize(this.#queue) }, `${this.name}: still unavailable; ${batchSize(this.#queue)} documents wait`);
      this.#lastError = error;
      this.#failures += 1;
      this.#scheduleDrain(this.#drainDelay(error));
    }
  }

  async #persistQueue(): Promise<void> {
    try {
      await this.#o.state.writeLines(this.#keys.queue, queueLines(this.#queue));
    } catch (error) {
      // Delivered already: a stale queue file only costs a resend, which identifiers make harmless.
      this.#o.log.warn({ output: this.name, err: error }, `${this.name}: could not empty the queue file`);
    }
  }

  async #persist(key: string, value: unknown): Promise<void> {
    try {
      await this.#o.state.write(key, value);
    } catch (error) {
      // The write itself succeeded: a stale watermark only costs a resend, which identifiers make harmless.
      this.#o.log.warn({ output: this.name, err: error }, `${this.name}: could not save the delivery state`);
    }
  }

  async #withDeadline<T>(signal: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const forward = (): void => controller.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener('abort', forward, { once: true });
    const ms = this.#o.transportTimeoutMs;
    const timer = setTimeout(() => controller.abort(transportTimeout(this.name, ms)), clampDelay(ms));
    try {
      return await Promise.race([
        call(controller.signal),
        new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true })),
      ]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', forward);
    }
  }
}

export function reliable(transport: Output, options: ReliableOptions): Output {
  return new ReliableOutput(transport, options);
}

import { COLLECTIONS, type Batch, type Collection, type NewestDates, type NightscoutDocument } from '../../lib/domain.js';
import { classify, describeError, errorCode, GlucoHubError } from '../../lib/errors.js';
import { describeAhead, isFuture, MAX_HOLD_AHEAD_MS } from '../../lib/future.js';
import type { Logger } from '../../lib/logger.js';
import { readRecord } from '../../lib/state-record.js';
import { serial } from '../../lib/serial.js';
import type { StateStore } from '../../lib/state-store.js';
import { backoffMs, clampDelay, type BackoffPolicy } from '../../lib/time.js';
import type { DeliveryReport, DocumentOutcome, Output, StoreResult } from '../../lib/contracts/output.js';
import { describeEta } from '../../lib/time.js';
import { etaMs, FIRST_SLICE, nextSliceSize, startBacklog, type Backlog } from './pace.js';
import { queueFromLines, queueLine, routerStateSchema, stateKeys, type RejectedLine } from './persisted.js';
import { DocumentQueue, isDue, keyOf, type QueuedDoc } from './queue.js';
import { rejectedFile, type RejectedFile } from './rejected.js';
import { confirm, DEFAULT_HORIZON_MS, emptyRouterState, repairFuture, route, seed, watermarks, type RouterState } from './router.js';
import { sendSlice, sliceBatch } from './slice.js';

/**
 * Every output runs behind this: a router that drops what the output already confirmed, and a
 * dead-letter queue on disk that holds what it has not confirmed yet. Documents go out in slices
 * and leave the queue as the output confirms each one, so a backlog of any length drains at the
 * output's pace while new readings go first; a document the output refuses for good, or that
 * fails on its own too often, is set aside in a `rejected` file instead of blocking the rest.
 * A failed write never fails the frame: the store reports it `queued` and the queue is retried on
 * its own timer. Documents dated in the future wait in the queue until their time.
 */

export interface ReliableOptions {
  state: StateStore;
  log: Logger;
  now: () => number;
  /** The queue never holds more documents than this; the oldest are dropped first (DLQ001). */
  maxEntries: number;
  horizonMs?: number;
  /** An output silent this long is given up on for now (DLQ003); shorter than the fan-out's deadline. */
  transportTimeoutMs?: number;
  rand?: () => number;
  /** Retry delays while the transport is down (default `DRAIN_BACKOFF`); tests of real brokers shorten it. */
  drainBackoff?: BackoffPolicy;
  /** Hears how delivery goes, for metrics and the status page. Must not throw. */
  onDelivery?: (report: DeliveryReport) => void;
}

/** Retrying a transport that is down: soon for network trouble, slowly for refused credentials. */
export const DRAIN_BACKOFF: BackoffPolicy = { baseMs: 15_000, capMs: 2 * 60_000 };
export const DRAIN_BACKOFF_REFUSED: BackoffPolicy = { baseMs: 5 * 60_000, capMs: 30 * 60_000 };
/** An output that answers for no document this long is down (DLQ003); longer than one request's own deadline, so one slow document fails alone. */
export const TRANSPORT_TIMEOUT_MS = 16_000;
/** A document that failed on its own is retried on this schedule, behind everything else. */
export const DOCUMENT_BACKOFF: BackoffPolicy = { baseMs: 30_000, capMs: 60 * 60_000 };
/** A document failed on its own this often, over at least `POISON_AGE_MS`, is set aside (DLQ007). */
export const POISON_ATTEMPTS = 10;
export const POISON_AGE_MS = 24 * 60 * 60_000;
/**
 * A store waits no longer than this for its documents (well inside the fan-out's 30 s); whatever
 * is not confirmed by then stays queued, on disk, and the delivery loop goes on in the background.
 */
export const STORE_BUDGET_MS = 20_000;
/** On stop, a slice in flight gets this long to finish before it is aborted (what it confirmed stays confirmed). */
export const STOP_GRACE_MS = 1_000;
/** While a backlog drains, the queue and watermarks are saved at most this often (and always when it ends). */
export const SAVE_EVERY_MS = 2_000;
/** Backlog progress is logged at most this often. */
export const PROGRESS_LOG_MS = 10_000;
/** A backlog that took this long gets its "backlog delivered" line at info, even without a progress line. */
export const SUMMARY_AFTER_MS = 2_000;

interface Down {
  error: unknown;
  untilMs: number;
}

/** What became of one store's documents, for its answer. */
interface Watch {
  keys: Set<string>;
  stored: number;
  duplicates: number;
  rejected: number;
  /** Resolves once none of `keys` is due in the queue any more, or the output is down. */
  settled: () => void;
}

/** 17280 → "17,280": counts a person reads in a log line. */
const count = (n: number): string => n.toLocaleString('en-US');

function farFuture(collection: Collection, doc: NightscoutDocument, nowMs: number): GlucoHubError {
  return new GlucoHubError('DLQ005', `a document in ${collection} is dated ${describeAhead(doc.date, nowMs)}: more than a day ahead, so it is not held for later`, {
    hint: "check the clock of the device or vendor account that wrote it; `gluco-hub dlq list` shows it",
  });
}

class ReliableOutput implements Output {
  readonly name: string;
  readonly #transport: Output;
  readonly #o: Required<Omit<ReliableOptions, 'state' | 'log' | 'now' | 'onDelivery'>> & Pick<ReliableOptions, 'state' | 'log' | 'now' | 'onDelivery'>;
  readonly #keys: ReturnType<typeof stateKeys>;
  readonly #queue: DocumentQueue;
  readonly #rejected: RejectedFile;
  #router: RouterState = emptyRouterState();
  #askedTransport = false;
  #warnedFutureSeed = false;
  #failures = 0;
  #down: Down | undefined;
  #backlog: Backlog | undefined;
  #sliceSize = FIRST_SLICE;
  #dirty = { queue: false, router: false };
  #savedMs = 0;
  #progressLoggedMs = 0;
  /** Documents delivered or set aside since the queue was last empty. */
  #drained = 0;
  /** The queue file holds no document (as far as this process wrote it). */
  #diskEmpty = false;
  /** Documents queued since the queue file was last written. */
  #unsaved = 0;
  #drainTimer: NodeJS.Timeout | undefined;
  /** The one delivery loop: only it sends, so the queue and the watermarks have one writer of outcomes. */
  #pumping: Promise<void> | undefined;
  /** The next round may try an output that is down (its retry time came). */
  #probe = false;
  readonly #watches = new Set<Watch>();
  /** Saves run one after another, each writing the state as it is when it runs. */
  readonly #saving = serial();
  #stopped = false;
  /** Aborts the slice in flight (stop, after the grace). */
  #abort = new AbortController();

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
    this.#queue = new DocumentQueue(transport.newestFirst ?? []);
    this.#rejected = rejectedFile(options.state, this.#keys.rejected, options.log);
  }

  get newestFirst(): readonly Collection[] | undefined {
    return this.#transport.newestFirst;
  }

  async start(): Promise<void> {
    await this.#transport.start();
    const now = this.#o.now();
    const saved = (await readRecord(this.#o.state, this.#keys.router, routerStateSchema)) ?? emptyRouterState();
    const { state, repaired } = repairFuture(saved, now);
    this.#router = state;
    if (repaired.length > 0) {
      this.#dirty.router = true;
      const err = new GlucoHubError('DLQ008', `the ${this.name} output's saved watermark for ${repaired.join(', ')} was in the future; set back to the newest confirmed reading that is not`, {
        hint: 'none: readings after it are delivered; check the clock of whatever wrote the future-dated reading',
      });
      this.#o.log.warn({ output: this.name, err, code: 'DLQ008' }, err.message);
    }
    const { items, skipped } = queueFromLines((await this.#o.state.readLines(this.#keys.queue)) ?? []);
    if (skipped > 0) this.#o.log.warn({ output: this.name, skipped }, `${this.name}: ${skipped} queued lines were not documents; left out`);
    for (const item of items) this.#queue.put(item);
    this.#diskEmpty = this.#queue.size === 0;
    await this.#rejected.load();
    if (this.#queue.size > 0) {
      this.#o.log.info({ output: this.name, waiting: this.#queue.size }, `${this.name}: ${this.#queue.size} documents from an earlier run are waiting; delivering them now`);
      this.#schedule();
    }
  }

  /** Watermarks (and what waits in the queue) without a request; the output is asked once per run for what the router does not know. */
  async newest(signal: AbortSignal): Promise<NewestDates> {
    const now = this.#o.now();
    if (!this.#askedTransport && COLLECTIONS.some((c) => this.#router.collections[c] === undefined)) {
      try {
        const reported = await this.#transport.newest(signal);
        this.#askedTransport = true;
        this.#warnFutureSeed(reported, now);
        this.#router = seed(this.#router, reported, now);
      } catch (error) {
        // Down at start-up: what the router knows still bounds the window; with nothing known, the fan-out goes back the full history.
        if (Object.keys(this.#router.collections).length === 0 && this.#queue.size === 0) throw error;
      }
    }
    const out = watermarks(this.#router);
    for (const [collection, date] of Object.entries(this.#queue.newest(now)) as [Collection, number][]) {
      out[collection] = Math.max(out[collection] ?? -Infinity, date);
    }
    return out;
  }

  async store(batch: Batch, signal: AbortSignal): Promise<StoreResult> {
    const now = this.#o.now();
    const routed = route(this.#router, batch, this.#o.horizonMs);
    /** This batch's documents that are due now; the future-dated ones wait in the queue for their time. */
    const mine: string[] = [];
    let held = 0;
    let known = 0;
    const tooFar: RejectedLine[] = [];
    for (const collection of COLLECTIONS) {
      for (const doc of routed.send[collection] as NightscoutDocument[]) {
        const key = keyOf(collection, doc);
        if (this.#rejected.has(key)) {
          known += 1;
          continue;
        }
        const future = isFuture(doc.date, now);
        if (future && doc.date - now > MAX_HOLD_AHEAD_MS) {
          tooFar.push(this.#rejectedLine(collection, doc, farFuture(collection, doc, now), 0));
          continue;
        }
        if (this.#queue.add(collection, doc)) {
          this.#dirty.queue = true;
          this.#unsaved += 1;
        }
        if (future) held += 1;
        else mine.push(key);
      }
    }
    this.#evict();
    const watch = this.#watch(mine);
    watch.duplicates = routed.dropped + known;
    watch.rejected = tooFar.length;
    if (tooFar.length > 0) await this.#setAside(tooFar, 'DLQ005');
    // While the output is down, new documents join the queue without another doomed request, unless
    // a retry is in flight: if it gets through, they go with it.
    if ((this.#down === undefined || this.#pumping !== undefined) && !signal.aborted && watch.keys.size > 0) {
      this.#kick();
      await this.#until(watch, signal);
    }
    this.#watches.delete(watch);
    // What this batch left in the queue must be on disk before the frame may call it done.
    await this.#save(held > 0 || mine.some((k) => this.#queue.has(k)));
    this.#schedule();
    return this.#answer(watch, mine, held);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#drainTimer);
    for (const w of this.#watches) w.settled();
    const grace = setTimeout(() => this.#abort.abort(new GlucoHubError('HUB003', 'stopped')), STOP_GRACE_MS);
    await this.#pumping;
    clearTimeout(grace);
    await this.#save(false);
    await this.#transport.stop();
  }

  #watch(keys: readonly string[]): Watch & { done: Promise<void> } {
    let settled = (): void => undefined;
    const done = new Promise<void>((resolve) => (settled = resolve));
    const watch = { keys: new Set(keys), stored: 0, duplicates: 0, rejected: 0, settled, done };
    if (keys.length > 0) this.#watches.add(watch);
    return watch;
  }

  /** Until the store's documents are delivered (or wait for their own retry), the output is down, or the budget is spent. */
  async #until(watch: Watch & { done: Promise<void> }, signal: AbortSignal): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => watch.settled();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([watch.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, STORE_BUDGET_MS)))]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  #answer(watch: Watch, mine: readonly string[], held: number): StoreResult {
    const left = mine.map((k) => this.#queue.get(k)).filter((i) => i !== undefined);
    const waiting = this.#queue.size;
    const base: StoreResult = { stored: watch.stored, duplicates: watch.duplicates, ...(watch.rejected > 0 ? { rejected: watch.rejected } : {}), ...(held > 0 ? { held } : {}) };
    if (waiting === 0) return base;
    if (this.#down !== undefined) return { ...base, queued: left.length, waiting, delivery: 'unavailable', error: this.#down.error };
    const retrying = left.filter((i) => i.attempts > 0).length;
    const queued = left.length - retrying;
    const due = this.#queue.dueCount(this.#o.now());
    return { ...base, ...(queued > 0 ? { queued } : {}), ...(retrying > 0 ? { retrying } : {}), waiting, ...(due > 0 ? { delivery: 'backlog' as const } : {}) };
  }

  /** Starts the delivery loop unless it runs. */
  #kick(): void {
    if (this.#pumping || this.#stopped) return;
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = undefined;
      // Documents a store added after the loop's last look go out now, not at the next timer.
      if (!this.#stopped && this.#down === undefined && this.#queue.dueCount(this.#o.now()) > 0) this.#kick();
      else this.#schedule();
    });
  }

  /**
   * Slices while documents are due and the output takes them. Between slices, what was confirmed
   * is saved (at most every `SAVE_EVERY_MS`), so a crash resends little; new documents admitted by
   * `store` meanwhile are in the next slice (first, where the output takes the newest first).
   */
  async #pump(): Promise<void> {
    const wasDown = this.#down !== undefined;
    const before = this.#queue.size;
    try {
      while (!this.#stopped && (this.#down === undefined || this.#probe)) {
        this.#probe = false;
        const now = this.#o.now();
        const slice = this.#queue.take(this.#sliceSize, now);
        if (slice.length === 0) break;
        const more = this.#queue.dueCount(now) > slice.length;
        if (this.#backlog === undefined && more) {
          this.#backlog = startBacklog(now, this.#queue.size);
          // A backlog an output takes in seconds is not worth a line: the first comes after PROGRESS_LOG_MS.
          this.#progressLoggedMs = now;
        }
        // Newest first only once the rest is on disk: after a crash the destination's newest would
        // otherwise say "everything before is there" while it is not.
        if (more && this.#unsaved > 0 && this.#queue.newestFirst) await this.#save(false);
        const ok = await this.#sendOne(slice);
        this.#settleWatches();
        if (!ok) break;
        await this.#save(false, true);
        this.#report();
      }
    } catch (error) {
      // A bug here must not stop deliveries for good: say so, and let the timer try again.
      this.#o.log.error({ output: this.name, err: error }, `${this.name}: delivery round failed: ${describeError(error)}`);
      this.#markDown(error, this.#o.now());
    }
    this.#settleWatches(true);
    if (this.#down !== undefined && wasDown) {
      this.#o.log.warn({ output: this.name, err: this.#down.error, waiting: this.#queue.size }, `${this.name}: still unavailable; ${this.#queue.size} documents wait`);
    }
    if (this.#queue.size === 0 && before > 0 && wasDown) {
      this.#o.log.info({ output: this.name, delivered: this.#drained }, `${this.name}: back; delivered ${this.#drained} queued documents; nothing waits`);
    }
    if (this.#queue.size === 0) this.#drained = 0;
    await this.#save(false);
    this.#report();
  }

  /** Wakes the stores whose documents are no longer due (delivered, set aside, or waiting for their own retry); `all` wakes every one. */
  #settleWatches(all = false): void {
    const now = this.#o.now();
    for (const watch of this.#watches) {
      if (all || this.#down !== undefined || ![...watch.keys].some((k) => {
        const item = this.#queue.get(k);
        return item !== undefined && isDue(item, now);
      })) watch.settled();
    }
  }

  /** What the output said of these documents, counted for the stores waiting on them. */
  #tell(items: readonly QueuedDoc[], result: 'stored' | 'duplicates' | 'rejected'): void {
    if (this.#watches.size === 0) return;
    for (const item of items) {
      const key = keyOf(item.collection, item.document);
      for (const watch of this.#watches) if (watch.keys.has(key)) watch[result] += 1;
    }
  }

  /** One slice out and its answers applied; false when the output is down. */
  async #sendOne(slice: QueuedDoc[]): Promise<boolean> {
    const started = this.#o.now();
    const sent = await sendSlice(this.#transport, slice, { idleMs: this.#o.transportTimeoutMs, signal: this.#abort.signal });
    const now = this.#o.now();
    const stored: QueuedDoc[] = [];
    const duplicates: QueuedDoc[] = [];
    const refused: RejectedLine[] = [];
    const refusedItems: QueuedDoc[] = [];
    const failed: { item: QueuedDoc; error: unknown }[] = [];
    for (const item of slice) {
      const outcome: DocumentOutcome | undefined = sent.outcomes.get(keyOf(item.collection, item.document)) ?? (sent.error === undefined ? { result: 'stored' } : undefined);
      if (outcome === undefined) continue;
      if (outcome.result === 'stored') stored.push(item);
      else if (outcome.result === 'duplicate') duplicates.push(item);
      else if (outcome.result === 'rejected') {
        refused.push(this.#rejectedLine(item.collection, item.document, outcome.error, item.attempts));
        refusedItems.push(item);
      } else failed.push({ item, error: outcome.error });
    }
    // A destination that answers for the whole batch only: its counts split the slice.
    if (!sent.reported && sent.result && sent.result.duplicates > 0) duplicates.push(...stored.splice(Math.min(stored.length, sent.result.stored)));
    const confirmed = [...stored, ...duplicates];
    this.#tell(stored, 'stored');
    this.#tell(duplicates, 'duplicates');
    this.#tell(refusedItems, 'rejected');
    for (const item of confirmed) this.#queue.remove(keyOf(item.collection, item.document));
    if (confirmed.length + refused.length > 0) {
      // Refused documents count as handled too: a vendor that sends them again is not answered with a new line each frame.
      this.#router = confirm(this.#router, sliceBatch([...confirmed, ...refusedItems]), this.#o.horizonMs);
      this.#dirty = { queue: true, router: true };
    }
    if (refused.length > 0) await this.#setAside(refused, 'DLQ006');
    if (this.#backlog) this.#backlog.delivered += confirmed.length + refused.length;
    this.#drained += confirmed.length + refused.length;
    if (sent.error === undefined) {
      this.#up();
      this.#sliceSize = nextSliceSize(confirmed.length + refused.length, now - started);
      return true;
    }
    // Stopping: what was confirmed stays confirmed, the rest waits for the next run.
    if (this.#abort.signal.aborted) return false;
    const decision = classify(sent.error, now);
    const progress = confirmed.length + refused.length > 0;
    const onlyRetries = slice.every((i) => i.attempts > 0);
    // The output took others, or only documents that failed before were tried: the fault is theirs, not the output's.
    // An output silent for the whole deadline is down, whatever it answered before.
    const silent = errorCode(sent.error) === 'DLQ003';
    if (decision.action === 'retry' && !silent && (progress || onlyRetries)) {
      const blamed = failed.length > 0 ? failed : onlyRetries && !sent.reported ? slice.map((item) => ({ item, error: sent.error })) : [];
      await this.#failedAlone(blamed, now);
      this.#up();
      // A slow site answers in smaller slices next time.
      this.#sliceSize = nextSliceSize(confirmed.length + refused.length, now - started);
      return true;
    }
    this.#markDown(sent.error, now);
    return false;
  }

  /** Documents that failed on their own: a later retry, behind the rest; set aside after many tries over a day (DLQ007). */
  async #failedAlone(blamed: readonly { item: QueuedDoc; error: unknown }[], now: number): Promise<void> {
    const poison: RejectedLine[] = [];
    for (const { item, error } of blamed) {
      const attempts = item.attempts + 1;
      const firstFailedMs = item.firstFailedMs ?? now;
      if (attempts >= POISON_ATTEMPTS && now - firstFailedMs >= POISON_AGE_MS) {
        const err = new GlucoHubError('DLQ007', `a document in ${item.collection} failed ${attempts} times since ${new Date(firstFailedMs).toISOString()} while the ${this.name} output took others: ${describeError(error)}`, {
          hint: 'see `gluco-hub dlq list`; `gluco-hub dlq retry` sends it again once the cause is fixed',
        });
        this.#queue.remove(keyOf(item.collection, item.document));
        poison.push(this.#rejectedLine(item.collection, item.document, err, attempts));
        continue;
      }
      this.#queue.put({ ...item, attempts, firstFailedMs, retryAtMs: now + backoffMs(attempts, DOCUMENT_BACKOFF, this.#o.rand), lastError: describeError(error) });
    }
    this.#dirty.queue = true;
    if (poison.length > 0) await this.#setAside(poison, 'DLQ007');
  }

  #rejectedLine(collection: Collection, document: NightscoutDocument, error: Error, attempts: number): RejectedLine {
    return { collection, document, rejectedAt: new Date(this.#o.now()).toISOString(), code: errorCode(error) ?? 'unknown', reason: describeError(error), attempts };
  }

  /** Into the rejected file, out of the queue, with one warning per document. */
  async #setAside(lines: readonly RejectedLine[], code: string): Promise<void> {
    for (const line of lines) this.#queue.remove(keyOf(line.collection, line.document));
    this.#dirty.queue = true;
    try {
      await this.#rejected.add(lines);
    } catch (error) {
      this.#o.log.warn({ output: this.name, err: error }, `${this.name}: could not write the rejected documents' file; they are only in this log`);
    }
    for (const line of lines) {
      this.#o.log.warn(
        { output: this.name, code, collection: line.collection, date: new Date(line.document.date).toISOString(), identifier: line.document.identifier },
        `[${code}] ${this.name}: a document in ${line.collection} dated ${new Date(line.document.date).toISOString()} is set aside in ${this.#keys.rejected}.jsonl (${line.reason}); the rest flows — see \`gluco-hub dlq list\``,
      );
    }
  }

  #evict(): void {
    const evicted = this.#queue.bound(this.#o.maxEntries);
    if (evicted.length === 0) return;
    this.#dirty.queue = true;
    this.#o.log.warn(
      { output: this.name, evicted: evicted.length, code: 'DLQ001' },
      `[DLQ001] the ${this.name} queue is full (${this.#o.maxEntries} documents): dropped the ${evicted.length} oldest`,
    );
  }

  #up(): void {
    if (this.#down !== undefined && this.#queue.size > 0) this.#o.log.info({ output: this.name, waiting: this.#queue.size }, `${this.name}: back; delivering ${this.#queue.size} queued documents`);
    this.#down = undefined;
    this.#failures = 0;
  }

  #markDown(error: unknown, now: number): void {
    this.#failures += 1;
    const decision = classify(error, now);
    const delay =
      decision.action === 'wait'
        ? Math.max(0, decision.untilMs - now)
        : backoffMs(this.#failures, decision.action === 'stop' ? DRAIN_BACKOFF_REFUSED : this.#o.drainBackoff, this.#o.rand);
    this.#down = { error, untilMs: now + delay };
    this.#backlog = undefined;
    this.#report();
  }

  #schedule(): void {
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    if (this.#stopped || this.#pumping) return;
    const now = this.#o.now();
    let at: number | undefined;
    if (this.#down !== undefined) at = this.#down.untilMs;
    else if (this.#queue.dueCount(now) > 0) at = now;
    else at = this.#queue.nextDueMs(now);
    if (at === undefined) return;
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = undefined;
      this.#probe = this.#down !== undefined;
      this.#kick();
    }, clampDelay(at - now));
  }

  /** Logs backlog progress at most every `PROGRESS_LOG_MS` and tells `onDelivery`. */
  #report(): void {
    const now = this.#o.now();
    const waiting = this.#queue.size;
    const due = this.#queue.dueCount(now);
    const backlog = this.#backlog;
    if (backlog && due === 0) {
      const seconds = Math.round((now - backlog.startedMs) / 1000);
      const said = this.#progressLoggedMs > backlog.startedMs;
      // One summary line for a back-fill anyone waited for (a terminal showed its progress from 2 s).
      if (said || now - backlog.startedMs >= SUMMARY_AFTER_MS) this.#o.log.info({ output: this.name, delivered: backlog.delivered, seconds }, `${this.name}: backlog delivered: ${count(backlog.delivered)} documents in ${seconds} s`);
      else this.#o.log.debug({ output: this.name, delivered: backlog.delivered, seconds }, `${this.name}: backlog delivered: ${backlog.delivered} documents in ${seconds} s`);
      this.#backlog = undefined;
    } else if (backlog && now - this.#progressLoggedMs >= PROGRESS_LOG_MS) {
      this.#progressLoggedMs = now;
      const total = backlog.delivered + due;
      this.#o.log.info(
        { output: this.name, delivered: backlog.delivered, total, waiting },
        `${this.name}: delivering a backlog: ${count(backlog.delivered)} of ${count(total)}, ${describeEta(etaMs(backlog, due, now))}`,
      );
    }
    const state = this.#down !== undefined ? 'unavailable' : due > 0 ? 'backlog' : 'current';
    this.#o.onDelivery?.({
      output: this.name,
      state,
      waiting,
      ...(this.#backlog ? { delivered: this.#backlog.delivered, etaMs: etaMs(this.#backlog, due, now) } : {}),
      ...(this.#down ? { error: this.#down.error } : {}),
    });
  }

  /** Saves what changed, one save at a time; `required` lets a failure propagate (the frame then fails and is retried, so nothing is lost). */
  #save(required: boolean, throttled = false): Promise<void> {
    return this.#saving.run(() => this.#saveNow(required, throttled));
  }

  async #saveNow(required: boolean, throttled: boolean): Promise<void> {
    const now = this.#o.now();
    if (throttled && now - this.#savedMs < SAVE_EVERY_MS) return;
    if (required || (this.#dirty.queue && !(this.#queue.size === 0 && this.#diskEmpty))) {
      this.#dirty.queue = false;
      const unsaved = this.#unsaved;
      this.#unsaved = 0;
      try {
        await this.#o.state.writeLines(this.#keys.queue, [...this.#queue.values()].map(queueLine));
        this.#diskEmpty = this.#queue.size === 0;
      } catch (error) {
        this.#dirty.queue = true;
        this.#unsaved += unsaved;
        if (required) throw error;
        // Delivered already, or re-derivable: a stale queue file only costs a resend, which identifiers make harmless.
        this.#o.log.warn({ output: this.name, err: error }, `${this.name}: could not save the queue file`);
      }
    }
    if (this.#dirty.router) {
      this.#dirty.router = false;
      try {
        await this.#o.state.write(this.#keys.router, this.#router);
      } catch (error) {
        this.#dirty.router = true;
        // The write itself succeeded: a stale watermark only costs a resend, which identifiers make harmless.
        this.#o.log.warn({ output: this.name, err: error }, `${this.name}: could not save the delivery state`);
      }
    }
    this.#savedMs = now;
  }

  #warnFutureSeed(reported: NewestDates, now: number): void {
    if (this.#warnedFutureSeed) return;
    const future = COLLECTIONS.filter((c) => reported[c] !== undefined && isFuture(reported[c], now));
    if (future.length === 0) return;
    this.#warnedFutureSeed = true;
    const c = future[0]!;
    const err = new GlucoHubError('DLQ009', `the ${this.name} output's newest ${c} document is dated ${describeAhead(reported[c]!, now)}; not taken as what it holds`, {
      hint: 'another uploader or device has a wrong clock; delete that document from the output, or ignore this: readings up to now are delivered',
    });
    this.#o.log.warn({ output: this.name, err, code: 'DLQ009' }, err.message);
  }
}

export function reliable(transport: Output, options: ReliableOptions): Output {
  return new ReliableOutput(transport, options);
}

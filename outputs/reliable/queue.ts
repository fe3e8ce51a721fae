import { COLLECTIONS, type Collection, type NewestDates, type NightscoutDocument } from '../../lib/domain.js';
import { FUTURE_SKEW_MS, isFuture, latestPlausible } from '../../lib/future.js';

/**
 * The dead-letter queue's rules, pure: one document per identifier (a newer copy replaces the
 * document but keeps its failure count), bounded (when full, the oldest go), and an order to send
 * in. Documents dated in the future wait here until their time; a document that failed on its own
 * while the output took others waits for its own retry time, behind everything that has not failed.
 */

export interface QueuedDoc {
  collection: Collection;
  document: NightscoutDocument;
  /** Times this document failed on its own while the output took others; an outage never counts. */
  attempts: number;
  /** When it first failed on its own (epoch ms). */
  firstFailedMs?: number | undefined;
  /** Not sent again before this (epoch ms): its own backoff. */
  retryAtMs?: number | undefined;
  /** The last failure, code and message, for `gluco-hub dlq list`. */
  lastError?: string | undefined;
}

/** One document per collection and identifier (its date for a document without one). */
export function keyOf(collection: Collection, doc: { date: number; identifier?: unknown }): string {
  return `${collection}:${typeof doc.identifier === 'string' ? doc.identifier : doc.date}`;
}

/** Sent at `nowMs`: dated no later than the skew allows, and past its own retry time. */
export function isDue(item: QueuedDoc, nowMs: number): boolean {
  return !isFuture(item.document.date, nowMs) && (item.retryAtMs ?? 0) <= nowMs;
}

export class DocumentQueue {
  readonly #items = new Map<string, QueuedDoc>();
  /** The send order, computed once per change of membership or failure counts. */
  #order: QueuedDoc[] | undefined;
  /**
   * Collections sent newest first: the site is current at once and its history fills in backwards.
   * The others go oldest first (a Nightscout v1 devicestatus older than the newest is never sent).
   */
  readonly #newestFirst: ReadonlySet<Collection>;

  constructor(newestFirst: readonly Collection[] = []) {
    this.#newestFirst = new Set(newestFirst);
  }

  get size(): number {
    return this.#items.size;
  }

  /** Some collection goes newest first: sending then runs ahead of the oldest waiting document. */
  get newestFirst(): boolean {
    return this.#newestFirst.size > 0;
  }

  has(key: string): boolean {
    return this.#items.has(key);
  }

  get(key: string): QueuedDoc | undefined {
    return this.#items.get(key);
  }

  values(): IterableIterator<QueuedDoc> {
    return this.#items.values();
  }

  /** Adds or refreshes a document; a queued copy keeps its failure count. True when it was not queued. */
  add(collection: Collection, document: NightscoutDocument): boolean {
    const key = keyOf(collection, document);
    const before = this.#items.get(key);
    if (before) {
      before.document = document;
      return false;
    }
    this.#items.set(key, { collection, document, attempts: 0 });
    this.#order = undefined;
    return true;
  }

  /** Puts back an item as it was persisted or changed (failure counts included). */
  put(item: QueuedDoc): void {
    this.#items.set(keyOf(item.collection, item.document), item);
    this.#order = undefined;
  }

  remove(key: string): QueuedDoc | undefined {
    const item = this.#items.get(key);
    this.#items.delete(key);
    return item;
  }

  /** Keeps the newest `max` documents; returns the evicted ones, oldest first. */
  bound(max: number): QueuedDoc[] {
    if (this.#items.size <= max) return [];
    const byAge = [...this.#items.entries()].sort((a, b) => a[1].document.date - b[1].document.date);
    const evicted = byAge.slice(0, this.#items.size - max);
    for (const [key] of evicted) this.#items.delete(key);
    this.#order = undefined;
    return evicted.map(([, item]) => item);
  }

  /** Newest date per collection among documents that are not in the future: what gap analysis may count as held. */
  newest(nowMs: number): NewestDates {
    const out: NewestDates = {};
    const limit = latestPlausible(nowMs);
    for (const { collection, document } of this.#items.values()) {
      if (document.date > limit) continue;
      const prev = out[collection];
      if (prev === undefined || document.date > prev) out[collection] = document.date;
    }
    return out;
  }

  /** Due documents in sending order, at most `limit`. */
  take(limit: number, nowMs: number): QueuedDoc[] {
    const order = (this.#order ??= this.#computeOrder());
    const out: QueuedDoc[] = [];
    let gone = 0;
    for (const item of order) {
      if (out.length >= limit) break;
      if (this.#items.get(keyOf(item.collection, item.document)) !== item) {
        gone += 1;
        continue;
      }
      if (isDue(item, nowMs)) out.push(item);
    }
    // Delivered documents are skipped lazily; once they are most of the list, it is rebuilt.
    if (gone > order.length / 2) this.#order = undefined;
    return out;
  }

  /** Documents that can be sent at `nowMs`. */
  dueCount(nowMs: number): number {
    let n = 0;
    for (const item of this.#items.values()) if (isDue(item, nowMs)) n += 1;
    return n;
  }

  /** When the next document that is not due now becomes due; undefined when none waits. */
  nextDueMs(nowMs: number): number | undefined {
    let next: number | undefined;
    for (const item of this.#items.values()) {
      if (isDue(item, nowMs)) continue;
      const at = Math.max(item.retryAtMs ?? 0, item.document.date - FUTURE_SKEW_MS);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /**
   * Never-failed documents first, taking from each collection in turn so a day of entries does not
   * hold up the treatments; then the ones that failed on their own, by their retry time.
   */
  #computeOrder(): QueuedDoc[] {
    const fresh = new Map<Collection, QueuedDoc[]>(COLLECTIONS.map((c) => [c, []]));
    const retries: QueuedDoc[] = [];
    for (const item of this.#items.values()) {
      if (item.attempts > 0) retries.push(item);
      else fresh.get(item.collection)!.push(item);
    }
    const lists = COLLECTIONS.map((c) => {
      const list = fresh.get(c)!;
      const sign = this.#newestFirst.has(c) ? -1 : 1;
      return list.sort((a, b) => sign * (a.document.date - b.document.date));
    });
    const order: QueuedDoc[] = [];
    const longest = Math.max(...lists.map((l) => l.length));
    for (let i = 0; i < longest; i += 1) for (const list of lists) if (i < list.length) order.push(list[i]!);
    retries.sort((a, b) => (a.retryAtMs ?? 0) - (b.retryAtMs ?? 0));
    return [...order, ...retries];
  }
}

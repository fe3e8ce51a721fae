/**
 * Staggering: frames of bridges of one vendor never start within a second of each other.
 * A fleet whose readings share a phase (or that all start together) would otherwise hit the
 * vendor in bursts, which is what trips per-IP rate limits.
 */

const SECOND_MS = 1_000;

/**
 * The earliest start at or after `desiredMs` that is at least `gapMs` away from every start in
 * `booked` (sorted ascending).
 */
export function staggeredStartMs(desiredMs: number, booked: readonly number[], gapMs: number): number {
  let start = desiredMs;
  for (const other of booked) {
    if (other <= start - gapMs) continue;
    if (other >= start + gapMs) break;
    start = other + gapMs;
  }
  return start;
}

/** Who is about to start: one booking per frame key (bridge + loop), so the book stays as small as the fleet. */
export interface Stagger {
  /** Books the start of `key`'s next frame at or after `desiredMs`; returns the booked time. Replaces `key`'s previous booking. */
  reserve(vendor: string, key: string, desiredMs: number): number;
  /** Forgets `key` (its bridge stopped). */
  release(vendor: string, key: string): void;
}

interface Book {
  /** Booked starts, ascending. */
  times: number[];
  byKey: Map<string, number>;
}

/** Index of the first element of `sorted` that is ≥ `value`. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `perSecond` starts per vendor per second at most: starts at least 1 s / perSecond apart. */
export function createStagger(perSecond = 1): Stagger {
  const gapMs = SECOND_MS / Math.max(1, perSecond);
  const books = new Map<string, Book>();
  const bookOf = (vendor: string): Book => {
    let book = books.get(vendor);
    if (!book) books.set(vendor, (book = { times: [], byKey: new Map() }));
    return book;
  };
  const release = (book: Book, key: string): void => {
    const time = book.byKey.get(key);
    if (time === undefined) return;
    book.byKey.delete(key);
    book.times.splice(lowerBound(book.times, time), 1);
  };
  return {
    reserve(vendor, key, desiredMs) {
      const book = bookOf(vendor);
      release(book, key);
      const from = lowerBound(book.times, desiredMs - gapMs);
      const start = staggeredStartMs(desiredMs, book.times.slice(from), gapMs);
      book.times.splice(lowerBound(book.times, start), 0, start);
      book.byKey.set(key, start);
      return start;
    },
    release(vendor, key) {
      const book = books.get(vendor);
      if (book) release(book, key);
    },
  };
}

/**
 * Staggering: frames of bridges of one vendor never start in the same second. A fleet whose
 * readings share a phase (or that all start together) would otherwise hit the vendor in bursts,
 * which is what trips per-IP rate limits.
 */

const SECOND_MS = 1_000;

/**
 * The earliest start at or after `desiredMs` whose second holds fewer than `perSecond` starts,
 * keeping the sub-second part so a moved start lands as far into its second as it wanted to.
 */
export function staggeredStartMs(desiredMs: number, startsIn: (second: number) => number, perSecond: number): number {
  const wanted = Math.floor(desiredMs / SECOND_MS);
  let second = wanted;
  while (startsIn(second) >= Math.max(1, perSecond)) second++;
  return desiredMs + (second - wanted) * SECOND_MS;
}

/** Who is about to start: one reservation per frame key (bridge + loop), so the book stays as small as the fleet. */
export interface Stagger {
  /** Books the start of `key`'s next frame at or after `desiredMs`; returns the booked time. Replaces `key`'s previous booking. */
  reserve(vendor: string, key: string, desiredMs: number): number;
  /** Forgets `key` (its bridge stopped). */
  release(vendor: string, key: string): void;
}

interface Book {
  bySecond: Map<number, number>;
  byKey: Map<string, number>;
}

export function createStagger(perSecond = 1): Stagger {
  const books = new Map<string, Book>();
  const bookOf = (vendor: string): Book => {
    let book = books.get(vendor);
    if (!book) books.set(vendor, (book = { bySecond: new Map(), byKey: new Map() }));
    return book;
  };
  const release = (book: Book, key: string): void => {
    const second = book.byKey.get(key);
    if (second === undefined) return;
    book.byKey.delete(key);
    const left = (book.bySecond.get(second) ?? 1) - 1;
    if (left > 0) book.bySecond.set(second, left);
    else book.bySecond.delete(second);
  };
  return {
    reserve(vendor, key, desiredMs) {
      const book = bookOf(vendor);
      release(book, key);
      const start = staggeredStartMs(desiredMs, (s) => book.bySecond.get(s) ?? 0, perSecond);
      const second = Math.floor(start / SECOND_MS);
      book.byKey.set(key, second);
      book.bySecond.set(second, (book.bySecond.get(second) ?? 0) + 1);
      return start;
    },
    release(vendor, key) {
      const book = books.get(vendor);
      if (book) release(book, key);
    },
  };
}

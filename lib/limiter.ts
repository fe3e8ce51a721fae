/**
 * At most `limit` tasks in flight; the rest wait their turn in order. One limiter per vendor
 * account keeps every loop of a bridge within the vendor's concurrency (Glooko: 3).
 */
export interface Limiter {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Tasks running now (for tests and metrics). */
  readonly active: number;
}

export function createLimiter(limit: number): Limiter {
  const waiting: (() => void)[] = [];
  let active = 0;
  // A finished task hands its slot straight to the next waiter, so a newcomer cannot slip in between.
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };
  return {
    get active() {
      return active;
    },
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      else active += 1;
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}

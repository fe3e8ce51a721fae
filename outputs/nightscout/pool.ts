/**
 * Runs `task` for every item with at most `limit` in flight. After the first failure no new task
 * starts; the ones in flight finish (their writes are not cut in half), then that failure is thrown.
 * Results are in the order of `items`.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let failure: unknown;

  async function worker(): Promise<void> {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index]!);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
  }

  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker());
  await Promise.all(workers);
  if (failed) throw failure;
  return results;
}

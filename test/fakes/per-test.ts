import { afterEach } from 'vitest';

/**
 * Fake servers for one test file, closed after each test. Call at the top level of the file:
 * `const fake = perTest(startFakeShare)` and then `await fake(options)` inside a test.
 */
export function perTest<T extends { close(): Promise<void> }, O>(start: (options: O) => Promise<T>): (options: O) => Promise<T> {
  let started: T[] = [];
  afterEach(async () => {
    await Promise.all(started.map((s) => s.close()));
    started = [];
  });
  return async (options) => {
    const server = await start(options);
    started.push(server);
    return server;
  };
}

import { afterAll, afterEach, beforeAll } from 'vitest';

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

/** nock in this file may answer nothing but the local fake servers: a stray request to a real vendor fails. */
export function localNetworkOnly(nock: { disableNetConnect(): void; enableNetConnect(host?: string): void }): void {
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterAll(() => nock.enableNetConnect());
}

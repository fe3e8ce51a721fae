import { perTest } from './per-test.js';
import { startFakeNightscout, type FakeNightscout, type FakeNightscoutOptions } from './nightscout-server.js';

/**
 * Fake Nightscout sites for one test file, closed after each test. Call at the top level of the
 * file; `site()` starts one with the file's defaults (e.g. its API secret) plus `options`.
 */
export function fakeSites(defaults: FakeNightscoutOptions = {}): (options?: FakeNightscoutOptions) => Promise<FakeNightscout> {
  const start = perTest((options: FakeNightscoutOptions) => startFakeNightscout({ ...defaults, ...options }));
  return (options = {}) => start(options);
}

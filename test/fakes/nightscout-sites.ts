import { afterEach } from 'vitest';
import { startFakeNightscout, type FakeNightscout, type FakeNightscoutOptions } from './nightscout-server.js';

/**
 * Fake Nightscout sites for one test file, closed after each test. Call at the top level of the
 * file; `site()` starts one with the file's defaults (e.g. its API secret) plus `options`.
 */
export function fakeSites(defaults: FakeNightscoutOptions = {}): (options?: FakeNightscoutOptions) => Promise<FakeNightscout> {
  let sites: FakeNightscout[] = [];
  afterEach(async () => {
    await Promise.all(sites.map((s) => s.close()));
    sites = [];
  });
  return async (options = {}) => {
    const ns = await startFakeNightscout({ ...defaults, ...options });
    sites.push(ns);
    return ns;
  };
}

import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { SessionExpiredError } from '../../lib/errors.js';
import { createLimiter } from '../../lib/limiter.js';
import { Secret } from '../../lib/secret.js';
import { glookoGlucoseAt, startFakeGlooko } from '../fakes/glooko-server.js';
import { establish, harness, rejection, signal } from '../fixtures/glooko/harness.js';
import { localNetworkOnly, perTest } from '../fakes/per-test.js';

/** The Glooko driver against the fake Glooko server (a real local HTTP server). */

const HOUR = 3_600_000;
localNetworkOnly(nock);
const start = perTest(startFakeGlooko);

describe('Glooko driver against the fake server', () => {
  it('signs in, reads 24 h of glucose and treatments in pages, never more than 3 requests at once', async () => {
    const clock = { now: Date.UTC(2026, 10, 22, 12, 0, 0) };
    const fake = await start({ now: () => clock.now, pageSize: 50 });
    const h = harness({ server: fake.url, email: fake.email, password: new Secret(fake.password) }, { clock });
    const session = await establish(h.driver);
    const window = { fromMs: clock.now - 24 * HOUR, toMs: clock.now };
    const [cgm, pump] = h.driver.loops;
    const [rawCgm, rawPump] = await Promise.all([cgm!.fetch(session, window, signal()), pump!.fetch(session, window, signal())]);
    expect(fake.maxInFlight).toBeLessThanOrEqual(3);
    expect(fake.maxInFlight).toBeGreaterThanOrEqual(2);
    expect(fake.counters.egvs).toBeGreaterThan(5);

    const entries = cgm!.transform(rawCgm, window).entries;
    const served = fake.readings().filter((r) => r.guid.startsWith('egv-'));
    expect(entries.map((e) => e.date)).toEqual(served.map((r) => r.date));
    for (const e of entries) expect(e.sgv).toBe(glookoGlucoseAt(e.date));
    const treatments = pump!.transform(rawPump, window).treatments;
    expect(treatments.map((t) => [t.date, t.eventType]).sort()).toEqual(fake.treatments().map((t) => [t.date, t.eventType]).sort());
  });

  it('a fake account with CSRF on the API sign-in signs in through the web form; a revoked session is a 401', async () => {
    const fake = await start({ csrf: true });
    const h = harness({ server: fake.url, email: fake.email, password: new Secret(fake.password) });
    const session = await establish(h.driver);
    expect(fake.counters).toMatchObject({ signIn: 1, webSignIn: 1, sessionUsers: 1 });
    fake.revokeSessions();
    const error = await rejection(h.driver.loops[0]!.fetch(session, { fromMs: Date.now() - HOUR, toMs: Date.now() }, signal()));
    expect(error).toBeInstanceOf(SessionExpiredError);
  });

  it('CGM only in the graph: the readings arrive through the fallback', async () => {
    const now = Date.now();
    const fake = await start({ egvs: 'empty', meterUnits: 'mmoll', historyHours: 6, now: () => now });
    const h = harness({ server: fake.url, email: fake.email, password: new Secret(fake.password) }, { clock: { now } });
    const session = await establish(h.driver);
    const window = { fromMs: now - 6 * HOUR, toMs: now };
    const entries = h.driver.loops[0]!.transform(await h.driver.loops[0]!.fetch(session, window, signal()), window).entries;
    const served = fake.readings().filter((r) => r.guid.startsWith('egv-') && r.date >= window.fromMs);
    expect(entries.map((e) => e.date)).toEqual(served.map((r) => r.date));
    expect(fake.counters.graph).toBe(1);
  });
});

describe('the per-account limiter', () => {
  it('never runs more than its limit and hands each freed slot to the next in line', async () => {
    const limiter = createLimiter(3);
    let running = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const task = () =>
      limiter.run(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
      });
    const all = Array.from({ length: 7 }, task);
    await Promise.resolve();
    expect(limiter.active).toBe(3);
    while (releases.length > 0 || running > 0) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    expect(most).toBe(3);
    expect(limiter.active).toBe(0);
  });
});

import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { SessionExpiredError } from '../../lib/errors.js';
import { Secret } from '../../lib/secret.js';
import { STATE_KEYS } from '../../sources/librelinkup/index.js';
import { startFakeLibreLinkUp } from '../fakes/llu-server.js';
import { establish, harness, rejection, signal } from '../fixtures/librelinkup/harness.js';
import { localNetworkOnly, perTest } from '../fakes/per-test.js';

/** The driver against the shared fake LibreLink Up cloud (a real local HTTP server). */

const HOUR = 3_600_000;
const PASSWORD = new Secret('correct-horse');
localNetworkOnly(nock);
const start = perTest(startFakeLibreLinkUp);

describe('LibreLink Up driver against the fake cloud', () => {
  it('follows the redirect, reads the graph, and reuses the ticket after a restart', async () => {
    const clock = { now: Date.UTC(2026, 10, 22, 12, 0, 0) };
    const fake = await start({ now: () => clock.now, redirects: 1 });
    const first = harness({ server: fake.url, password: PASSWORD }, { clock });
    const session = await establish(first.driver);
    const loop = first.driver.loops[0]!;
    const window = { fromMs: clock.now - 12 * HOUR, toMs: clock.now };
    const batch = loop.transform(await loop.fetch(session, window, signal()), window);

    expect(batch.entries.length).toBeGreaterThan(100);
    expect(batch.entries.at(-1)!.direction).toBeDefined();
    expect(batch.entries.filter((e) => e.direction !== undefined)).toHaveLength(1);
    expect(batch.treatments.map((t) => t.eventType)).toContain('Sensor Start');
    expect(fake.counters).toMatchObject({ logins: 2, loginSuccesses: 1, redirects: 1, rejected: 0 });

    const restarted = harness({ server: fake.url, password: PASSWORD }, { clock, state: first.state });
    await establish(restarted.driver);
    expect(fake.counters.logins).toBe(2);
  });

  it('drops a revoked ticket on the 401 and logs in fresh next time', async () => {
    const fake = await start({});
    const h = harness({ server: fake.url, password: PASSWORD }, { clock: { now: Date.now() } });
    const session = await establish(h.driver);
    fake.revokeTokens();
    const window = { fromMs: 0, toMs: Date.now() };
    expect(await rejection(h.driver.loops[0]!.fetch(session, window, signal()))).toBeInstanceOf(SessionExpiredError);
    expect(h.state.data.has(STATE_KEYS.session)).toBe(false);
    await establish(h.driver);
    expect(fake.counters.loginSuccesses).toBe(2);
  });

  it('stops knocking after a refused password', async () => {
    const fake = await start({});
    const h = harness({ server: fake.url, password: new Secret('wrong') }, { clock: { now: Date.now() } });
    expect((await rejection(h.driver.session.authenticate(signal()))).code).toBe('LLU003');
    expect((await rejection(h.driver.session.authenticate(signal()))).code).toBe('LLU004');
    expect(fake.counters.logins).toBe(1);
  });
});

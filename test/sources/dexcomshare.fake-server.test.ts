import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { SessionExpiredError } from '../../lib/errors.js';
import { Secret } from '../../lib/secret.js';
import { glucoseAt, startFakeShare } from '../fakes/share-server.js';
import { establish, harness, rejection, signal } from '../fixtures/dexcomshare/harness.js';
import { localNetworkOnly, perTest } from '../fakes/per-test.js';

/** The driver against the fake Share server (a real local HTTP server). */

const HOUR = 3_600_000;
localNetworkOnly(nock);
const start = perTest(startFakeShare);

describe('Dexcom Share driver against the fake server', () => {
  it('logs in, reads 24 h, re-logs in with step 2 only after a revoked session', async () => {
    const clock = { now: Date.UTC(2026, 10, 22, 12, 0, 0) };
    const fake = await start({ now: () => clock.now });
    const h = harness({ server: fake.url, accountName: fake.accountName, password: new Secret(fake.password) }, { clock });
    const session = await establish(h.driver);
    const loop = h.driver.loops[0]!;
    const window = { fromMs: clock.now - 24 * HOUR, toMs: clock.now };
    const batch = loop.transform(await loop.fetch(session, window, signal()), window);
    expect(batch.entries).toHaveLength(288);
    for (const e of batch.entries) expect(e.sgv).toBe(glucoseAt(e.date));
    expect(batch.entries.some((e) => e.sentinel === 'LOW' && e.sgv === 39)).toBe(true);
    expect(fake.counters).toMatchObject({ authenticate: 1, loginById: 1, readings: 1 });

    fake.revokeSessions();
    await expect(loop.fetch(session, window, signal())).rejects.toThrow(SessionExpiredError);
    const again = await establish(h.driver);
    await loop.fetch(again, window, signal());
    expect(fake.counters).toMatchObject({ authenticate: 1, loginById: 2, readings: 3 });
  });

  it('a wrong password is tried once, then never again while the configuration is unchanged', async () => {
    const fake = await start({});
    const h = harness({ server: fake.url, accountName: fake.accountName, password: new Secret('wrong') });
    // The fake answers AccountPasswordInvalid, as Share does: refused password or migrated account.
    expect((await rejection(establish(h.driver))).code).toBe('DEX017');
    expect((await rejection(establish(h.driver))).code).toBe('DEX003');
    expect(fake.counters.authenticate).toBe(1);
  });
});

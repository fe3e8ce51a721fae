import { describe, expect, it } from 'vitest';
import type { FakeNightscout } from '../fakes/nightscout-server.js';
import { fakeSites } from '../fakes/nightscout-sites.js';
import { startCli, tempDir } from './cli.js';
import { expectEveryReadingOnce, framesDone, nightscoutEntryDates, seedEarlierRun } from './readings.js';

/**
 * The real CLI, simulator → fake Nightscout, as a user runs it: several cycles, a restart, and
 * the site holds every reading once with no gap. The site is seeded with one reading a minute
 * ago, so gap analysis back-fills only from there (a day of 2-second readings would be 43 200).
 */

const INTERVAL_S = 2;
const SECRET = 'fake-nightscout-secret';
const UPLOADER = { roles: { uploader: ['api:*:create', 'api:*:update', 'api:*:read'] }, subjects: { 'gluco-hub': ['uploader'] } };

const site = fakeSites({ apiSecret: SECRET });

async function runTwice(env: Record<string, string>): Promise<void> {
  const cwd = tempDir();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const run = startCli(['forever'], { cwd, env: { CONNECT_SIMULATOR_INTERVAL: String(INTERVAL_S), ...env } });
    await run.until((o) => framesDone(o.stderr) >= 3, 30_000);
    run.child.kill(signal);
    expect(await run.exit, run.output().stderr).toBe(0);
  }
}

/** Every simulator reading after the seed is there once, 2 s apart, with no gap, as the simulator wrote it. */
function expectSimulatorReadingsOnce(ns: FakeNightscout, seededAt: number): void {
  const entries = ns.docs('entries').filter((d) => d.date !== seededAt);
  const identifiers = entries.map((d) => d.identifier as string);
  expect(new Set(identifiers).size).toBe(identifiers.length);
  expectEveryReadingOnce(nightscoutEntryDates(ns), seededAt, INTERVAL_S * 1000, 30);
  for (const entry of entries) expect(entry).toMatchObject({ type: 'sgv', device: 'gluco-hub-simulator', app: 'gluco-hub' });
}

describe('forever: simulator → Nightscout', () => {
  it('API v3 with an access token: every reading once across a restart, one JWT per run', async () => {
    const ns = await site(UPLOADER);
    const seededAt = seedEarlierRun(ns);
    await runTwice({ CONNECT_NIGHTSCOUT_ENDPOINT: ns.url, CONNECT_NIGHTSCOUT_TOKEN: ns.token('gluco-hub') });
    expectSimulatorReadingsOnce(ns, seededAt);
    expect(ns.requests.some((r) => r.path.startsWith('/api/v3/entries') && r.method === 'POST')).toBe(true);
    expect(ns.requests.some((r) => r.path.startsWith('/api/v1/'))).toBe(false);
    expect(ns.counters.jwtRequests).toBe(2);
    expect(ns.counters.authFailures).toBe(0);
    const treatments = ns.docs('treatments').map((d) => d.identifier as string);
    expect(new Set(treatments).size).toBe(treatments.length);
  }, 90_000);

  it('API v1 with the API secret: every reading once across a restart', async () => {
    const ns = await site();
    const seededAt = seedEarlierRun(ns);
    await runTwice({ CONNECT_NIGHTSCOUT_ENDPOINT: `${ns.url}/`, CONNECT_API_SECRET: SECRET });
    expectSimulatorReadingsOnce(ns, seededAt);
    expect(ns.requests.some((r) => r.path.startsWith('/api/v3/entries'))).toBe(false);
    expect(ns.requests.filter((r) => r.path.startsWith('/api/v1/entries') && r.method === 'POST').every((r) => r.auth === 'api-secret')).toBe(true);
  }, 90_000);

  it('a token on a server without API v3 falls back to v1 and says so', async () => {
    const ns = await site({ ...UPLOADER, v3: false });
    const seededAt = seedEarlierRun(ns);
    const cwd = tempDir();
    const run = startCli(['forever'], { cwd, env: { CONNECT_SIMULATOR_INTERVAL: String(INTERVAL_S), CONNECT_NIGHTSCOUT_ENDPOINT: ns.url, CONNECT_NIGHTSCOUT_TOKEN: ns.token('gluco-hub') } });
    await run.until((o) => framesDone(o.stderr) >= 2, 30_000);
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(run.output().stderr).toMatch(/v1/);
    expect(ns.docs('entries').filter((d) => d.date !== seededAt).length).toBeGreaterThan(20);
  }, 60_000);
});

describe('credentials in the wrong place get an explanation, not a bare 401', () => {
  async function firstError(env: Record<string, string>, code: string): Promise<string> {
    const cwd = tempDir();
    const run = startCli(['forever'], { cwd, env: { CONNECT_SIMULATOR_INTERVAL: String(INTERVAL_S), ...env } });
    await run.until((o) => o.stderr.includes(`[${code}]`), 30_000);
    run.child.kill('SIGTERM');
    await run.exit;
    const { stderr, stdout } = run.output();
    return stdout + stderr;
  }

  it('the API secret given as the token', async () => {
    const ns = await site(UPLOADER);
    const out = await firstError({ CONNECT_NIGHTSCOUT_ENDPOINT: ns.url, CONNECT_NIGHTSCOUT_TOKEN: SECRET }, 'NS004');
    expect(out).toContain('does not look like an access token');
    expect(out).toContain('CONNECT_API_SECRET');
    expect(out).not.toContain(SECRET);
    expect(ns.count('entries')).toBe(0);
  }, 60_000);

  it('the hashed secret given as the secret', async () => {
    const ns = await site();
    const out = await firstError({ CONNECT_NIGHTSCOUT_ENDPOINT: ns.url, CONNECT_API_SECRET: ns.apiSecretSha1 }, 'NS002');
    expect(out).toContain('give the plain secret');
    expect(out).not.toContain(ns.apiSecretSha1);
    expect(ns.count('entries')).toBe(0);
  }, 60_000);

  it('a read-only token says which permissions an uploader needs', async () => {
    const ns = await site({ subjects: { 'gluco-hub': ['readable'] } });
    const out = await firstError({ CONNECT_NIGHTSCOUT_ENDPOINT: ns.url, CONNECT_NIGHTSCOUT_TOKEN: ns.token('gluco-hub') }, 'NS005');
    // Whichever loop (entries or treatments) stores first names its collection.
    expect(out).toMatch(/lacks the permission api:(entries|treatments):create/);
    expect(out).toMatch(/api:(entries|treatments):update/);
    expect(ns.count('entries')).toBe(0);
  }, 60_000);
});

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glookoGlucoseAt, startFakeGlooko, type FakeGlooko, type FakeGlookoOptions } from '../fakes/glooko-server.js';
import { perTest } from '../fakes/per-test.js';
import { foreverRuns, runCli, tempDir } from './cli.js';
import { filesUnder, logLines, storedDocuments } from './readings.js';

/** The real CLI against the fake Glooko server (test/fakes/glooko-server.ts), as a user runs it. */

interface Stored {
  identifier: string;
  date: number;
  device: string;
  sgv?: number;
  eventType?: string;
  glookoGuid?: string;
  utcOffset?: number;
}

const HOUR = 3_600_000;
const frames = (stderr: string, loop: string, outcome: string): number => logLines(stderr).filter((l) => l.loop === loop && l.outcome === outcome).length;

const stored = (dataDir: string, collection: string): Stored[] => storedDocuments<Stored>(dataDir, collection);

const startFake = perTest(startFakeGlooko);
// The fake's clock stands still, so what a test expects is exactly what the CLI was served, even across a 5-min tick.
const fake = (options: FakeGlookoOptions = {}): Promise<FakeGlooko> => {
  const frozen = Date.now();
  return startFake({ historyHours: 12, now: () => frozen, ...options });
};
const { forever, stop } = foreverRuns();

function glookoEnv(glooko: FakeGlooko, cwd: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CONNECT_SOURCE: 'glooko',
    CONNECT_GLOOKO_EMAIL: glooko.email,
    CONNECT_GLOOKO_PASSWORD: glooko.password,
    CONNECT_GLOOKO_SERVER: glooko.url,
    GLUCO_HUB__STATE_DIR: join(cwd, 'state'),
    GLUCO_HUB__FILESYSTEM__DIR: join(cwd, 'data'),
    ...extra,
  };
}

const cookiesIssued = (glooko: FakeGlooko): string[] =>
  glooko.requests.flatMap((r) => (r.cookie ? [...r.cookie.matchAll(/_logbook-web_session=([^;]+)/g)].map((m) => m[1]!).filter((v) => v !== 'pre') : []));

describe('gluco-hub with a Glooko account (fake server)', () => {
  it('capture --json: glucose and treatments as served, in UTC from the account’s Berlin wall clock, nothing written', async () => {
    const glooko = await fake();
    const cwd = tempDir('gh-glk-');
    const run = await runCli(['capture', '--json'], { cwd, env: glookoEnv(glooko, cwd), timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    const [capture] = JSON.parse(run.stdout) as { source: string; loops: { loop: string; result?: { outcome: string }; batch?: { entries: Stored[]; treatments: Stored[] } }[] }[];
    expect(capture!.source).toBe('glooko');
    const entries = capture!.loops.find((l) => l.loop === 'entries')!;
    const treatments = capture!.loops.find((l) => l.loop === 'treatments')!;
    expect([entries.result?.outcome, treatments.result?.outcome]).toEqual(['success', 'success']);
    const served = glooko.readings().filter((r) => r.guid.startsWith('egv-'));
    expect(entries.batch!.entries.map((e) => e.date)).toEqual(served.map((r) => r.date));
    for (const e of entries.batch!.entries) expect(e).toMatchObject({ sgv: glookoGlucoseAt(e.date), device: 'glooko' });
    expect(treatments.batch!.treatments.map((t) => [t.date, t.eventType]).sort()).toEqual(glooko.treatments().map((t) => [t.date, t.eventType]).sort());
    expect(existsSync(join(cwd, 'data'))).toBe(false);
    expect(run.stderr).not.toContain(glooko.password);
    for (const c of cookiesIssued(glooko)) expect(run.stderr + run.stdout).not.toContain(c);
  }, 40_000);

  it('forever: entries and treatments reach the filesystem once each; the session and device id persist privately; a restart does not sign in again', async () => {
    const glooko = await fake();
    const cwd = tempDir('gh-glk-');
    const env = glookoEnv(glooko, cwd);
    const first = forever(cwd, env);
    await first.until((o) => frames(o.stderr, 'entries', 'success') >= 1 && frames(o.stderr, 'treatments', 'success') >= 1, 60_000);
    expect(await stop(first)).toBe(0);
    expect(glooko.counters).toMatchObject({ signIn: 1, sessionUsers: 1 });
    expect(glooko.maxInFlight).toBeLessThanOrEqual(3);

    const data = join(cwd, 'data');
    const entries = stored(data, 'entries');
    const treatments = stored(data, 'treatments');
    expect(entries.length).toBe(glooko.readings().filter((r) => r.guid.startsWith('egv-')).length);
    expect(new Set(entries.map((e) => e.identifier)).size).toBe(entries.length);
    expect(treatments.length).toBe(glooko.treatments().length);
    expect(new Set(treatments.map((t) => t.glookoGuid))).toEqual(new Set(glooko.treatments().map((t) => t.guid)));
    expect(treatments.every((t) => t.device === 'glooko' && typeof t.utcOffset === 'number')).toBe(true);

    const stateFiles = filesUnder(join(cwd, 'state'));
    for (const f of stateFiles) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    expect(stateFiles.some((f) => f.endsWith('glooko-device.json'))).toBe(true);
    expect(stateFiles.some((f) => cookiesIssued(glooko).some((c) => readFileSync(f, 'utf8').includes(c))), 'the session cookie is persisted').toBe(true);
    expect(stateFiles.every((f) => !readFileSync(f, 'utf8').includes(glooko.password))).toBe(true);
    expect(first.output().stderr).not.toContain(glooko.password);

    const second = forever(cwd, env);
    await second.until((o) => frames(o.stderr, 'entries', 'success') >= 1 && frames(o.stderr, 'treatments', 'success') >= 1, 60_000);
    expect(await stop(second)).toBe(0);
    expect(glooko.counters, 'a restart must not sign in again').toMatchObject({ signIn: 1, sessionUsers: 1 });
    // The second run asks only from what the files hold (minus the slack), not the whole look-back.
    const egvs = glooko.requests.filter((r) => r.path === '/api/v2/cgm/egvs');
    const newest = Math.max(...entries.map((e) => e.date));
    expect(Date.parse(egvs[egvs.length - 1]!.query.get('lastUpdatedAt')!)).toBe(newest - 3 * HOUR);
    const after = stored(data, 'entries');
    expect(new Set(after.map((e) => e.identifier)).size).toBe(after.length);
    expect(stored(data, 'treatments')).toHaveLength(treatments.length);
  }, 150_000);

  it('a pump that uploads two days late: its bolus still reaches the files, behind newer treatments', async () => {
    const glooko = await fake();
    const cwd = tempDir('gh-glk-');
    const env = glookoEnv(glooko, cwd);
    const first = forever(cwd, env);
    await first.until((o) => frames(o.stderr, 'treatments', 'success') >= 1, 60_000);
    expect(await stop(first)).toBe(0);
    const before = stored(join(cwd, 'data'), 'treatments');
    const lateDate = Math.min(...before.map((t) => t.date)) - 36 * HOUR;
    glooko.uploadLateBolus(lateDate);
    const second = forever(cwd, env);
    await second.until((o) => frames(o.stderr, 'treatments', 'success') >= 1, 60_000);
    expect(await stop(second)).toBe(0);
    const after = stored(join(cwd, 'data'), 'treatments');
    expect(after.filter((t) => t.glookoGuid === `late-${lateDate}`)).toMatchObject([{ date: lateDate, eventType: 'Meal Bolus' }]);
    expect(after).toHaveLength(before.length + 1);
  }, 150_000);

  it('a two-step account: one sign-in, GLK004 says it is not supported; a restart does not try again', async () => {
    const glooko = await fake({ twoFactor: true });
    const cwd = tempDir('gh-glk-');
    const env = glookoEnv(glooko, cwd);
    const first = forever(cwd, env);
    await first.until((o) => o.stderr.includes('GLK004'), 30_000);
    expect(await stop(first)).toBe(0);
    expect(first.output().stderr).toMatch(/two-step verification/);
    const once = await runCli(['capture', '--json'], { cwd, env, timeoutMs: 30_000 });
    expect(once.code).toBe(1);
    expect(once.stderr).toContain('GLK003');
    expect(glooko.counters.signIn).toBe(1);
    expect(first.output().stderr + once.stderr).not.toContain(glooko.password);
  }, 90_000);
});

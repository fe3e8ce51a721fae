import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glucoseAt, startFakeShare, type FakeShare, type FakeShareOptions } from '../fakes/share-server.js';
import { foreverRuns, runCli, tempDir } from './cli.js';
import { filesUnder, storedDocuments } from './readings.js';
import { perTest } from '../fakes/per-test.js';

/** The real CLI against the fake Dexcom Share server (test/fakes/share-server.ts), as a user runs it. */

interface LogLine {
  level: number;
  msg: string;
  loop?: string;
  outcome?: string;
}

interface StoredEntry {
  identifier: string;
  date: number;
  sgv: number;
  device: string;
  direction?: string;
  utcOffset?: number;
  sentinel?: string;
}

function logLines(stderr: string): LogLine[] {
  return stderr.split('\n').flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      return [JSON.parse(l) as LogLine];
    } catch {
      return [];
    }
  });
}

const frames = (stderr: string, outcome: string): number => logLines(stderr).filter((l) => l.loop === 'entries' && l.outcome === outcome).length;
const hasDexError = (text: string): boolean => /\[DEX0\d\d\]/.test(text);

const stored = (dataDir: string): StoredEntry[] => storedDocuments<StoredEntry>(dataDir, 'entries');

const startFake = perTest(startFakeShare);
const fake = (options: FakeShareOptions = {}): Promise<FakeShare> => startFake(options);
const { forever, stop } = foreverRuns();

function shareEnv(share: FakeShare, cwd: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CONNECT_SOURCE: 'dexcomshare',
    CONNECT_SHARE_ACCOUNT_NAME: share.accountName,
    CONNECT_SHARE_PASSWORD: share.password,
    CONNECT_SHARE_REGION: 'us',
    CONNECT_SHARE_SERVER: share.url,
    CONNECT_SHARE_INTERVAL_SECONDS: '10',
    CONNECT_SHARE_MIN_INTERVAL_SECONDS: '10',
    GLUCO_HUB__STATE_DIR: join(cwd, 'state'),
    GLUCO_HUB__FILESYSTEM__DIR: join(cwd, 'data'),
    ...extra,
  };
}

describe('gluco-hub with a Dexcom Share account (fake server)', () => {
  it('capture --json: 24 h of readings as served, LOW sentinel flagged, nothing written', async () => {
    const share = await fake();
    const cwd = tempDir('gh-dex-');
    const run = await runCli(['capture', '--json'], { cwd, env: shareEnv(share, cwd), timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    const captures = JSON.parse(run.stdout) as { source: string; loops: { loop: string; result?: { outcome: string }; batch?: { entries: StoredEntry[] } }[] }[];
    expect(captures).toHaveLength(1);
    expect(captures[0]!.source).toBe('dexcomshare');
    const loop = captures[0]!.loops.find((l) => l.loop === 'entries')!;
    expect(loop.result?.outcome).toBe('success');
    const entries = loop.batch!.entries;
    expect(entries).toHaveLength(288);
    const served = new Set(share.served.map((s) => s.date));
    for (const e of entries) {
      expect(served.has(e.date)).toBe(true);
      expect(e.sgv).toBe(glucoseAt(e.date));
      expect(e).toMatchObject({ device: 'share2', utcOffset: 60 });
      expect(e.direction).toBeDefined();
      if (e.sgv === 39) expect(e.sentinel).toBe('LOW');
    }
    expect(share.counters).toMatchObject({ authenticate: 1, loginById: 1, readings: 1 });
    expect(share.requests.find((r) => r.path.endsWith('ReadPublisherLatestGlucoseValues'))).toBeDefined();
    expect(existsSync(join(cwd, 'data'))).toBe(false);
    expect(run.stderr).not.toContain(share.password);
    for (const id of share.issuedSessions) expect(run.stderr).not.toContain(id);
  }, 40_000);

  it('forever: every reading once, the session persisted privately, a restart does not log in again', async () => {
    const share = await fake();
    const cwd = tempDir('gh-dex-');
    const env = shareEnv(share, cwd);
    const first = forever(cwd, env);
    await first.until((o) => frames(o.stderr, 'success') >= 2, 60_000);
    expect(await stop(first)).toBe(0);
    expect(share.counters).toMatchObject({ authenticate: 1, loginById: 1 });
    const entries = stored(join(cwd, 'data'));
    expect(entries.length).toBeGreaterThanOrEqual(288);
    expect(new Set(entries.map((e) => e.identifier)).size).toBe(entries.length);
    expect(new Set(entries.map((e) => e.date)).size).toBe(entries.length);
    const served = new Set(share.served.map((s) => s.date));
    for (const e of entries) expect(served.has(e.date)).toBe(true);
    // The second poll asks only for the gap, not 24 h again.
    const reads = share.requests.filter((r) => r.path.endsWith('ReadPublisherLatestGlucoseValues'));
    expect(reads.length).toBeGreaterThanOrEqual(2);
    expect(reads[0]!.query.get('minutes')).toBe('1440');
    expect(reads[0]!.query.get('maxCount')).toBe('288');
    expect(Number(reads[1]!.query.get('minutes'))).toBeLessThan(15);

    const stateFiles = filesUnder(join(cwd, 'state'));
    expect(stateFiles.length).toBeGreaterThan(0);
    for (const f of stateFiles) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    expect(stateFiles.some((f) => readFileSync(f, 'utf8').includes(share.issuedSessions[0]!)), 'the session id is persisted').toBe(true);
    expect(first.output().stderr).not.toContain(share.password);
    for (const id of share.issuedSessions) expect(first.output().stderr).not.toContain(id);

    const second = forever(cwd, env);
    await second.until((o) => frames(o.stderr, 'success') >= 1, 30_000);
    expect(await stop(second)).toBe(0);
    expect(share.counters, 'a restart must not log in again').toMatchObject({ authenticate: 1, loginById: 1 });
    const after = stored(join(cwd, 'data'));
    expect(new Set(after.map((e) => e.identifier)).size).toBe(after.length);
  }, 120_000);

  it('SessionIdNotFound costs exactly one step-2 login (the account id is cached), and the bridge carries on', async () => {
    const share = await fake();
    const cwd = tempDir('gh-dex-');
    const run = forever(cwd, shareEnv(share, cwd));
    await run.until((o) => frames(o.stderr, 'success') >= 1, 30_000);
    share.revokeSessions();
    const before = frames(run.output().stderr, 'success');
    await run.until((o) => frames(o.stderr, 'success') > before, 45_000);
    expect(await stop(run)).toBe(0);
    expect(share.requests.some((r) => r.path.endsWith('ReadPublisherLatestGlucoseValues') && r.status === 500)).toBe(true);
    expect(share.counters).toMatchObject({ authenticate: 1, loginById: 2 });
    const entries = stored(join(cwd, 'data'));
    expect(new Set(entries.map((e) => e.identifier)).size).toBe(entries.length);
    for (const id of share.issuedSessions) expect(run.output().stderr).not.toContain(id);
  }, 90_000);

  it('bad password: one login attempt, a coded error naming the region; a restart does not try again', async () => {
    const share = await fake();
    const cwd = tempDir('gh-dex-');
    const env = shareEnv(share, cwd, { CONNECT_SHARE_PASSWORD: 'wrong-password' });
    const first = forever(cwd, env);
    await first.until((o) => hasDexError(o.stderr) && frames(o.stderr, 'failed') >= 1, 30_000);
    expect(first.output().stderr).toContain('[DEX017] Dexcom Share: password refused or account migrated (AccountPasswordInvalid) — log in at the Dexcom app once');
    expect(first.output().stderr).toMatch(/wrong region/);
    expect(await stop(first)).toBe(0);
    expect(first.output().stderr).not.toContain('wrong-password');
    const once = await runCli(['capture', '--json'], { cwd, env, timeoutMs: 30_000 });
    expect(once.code).toBe(1);
    expect(once.stderr).toContain('DEX003');
    expect(share.counters.authenticate, 'no login after a persisted refusal').toBe(1);
  }, 90_000);
});

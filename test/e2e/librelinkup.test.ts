import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakePatient, startFakeLibreLinkUp, type FakeLibreLinkUp, type FakeLluOptions } from '../fakes/llu-server.js';
import { ARROW_DIRECTIONS, decodeToken, glucoseAt, tickAtOrBefore } from '../fakes/llu-wire.js';
import { foreverRuns, runCli, tempDir } from './cli.js';
import { filesUnder, storedDocuments } from './readings.js';
import { perTest } from '../fakes/per-test.js';

/**
 * The real CLI against the fake LibreLink Up cloud (test/fakes/llu-server.ts), as a user runs it.
 * Error codes of the driver are matched loosely (`[LLU…]` plus the key words the spec asks for).
 */

const MIN = 60_000;

interface LogLine {
  level: number;
  msg: string;
  loop?: string;
  outcome?: string;
}

interface StoredEntry {
  identifier: string;
  date: number;
  sgv?: number;
  type: string;
  direction?: string;
}

interface StoredTreatment {
  identifier: string;
  date: number;
  eventType: string;
}

interface CapturedLoop {
  loop: string;
  raw?: unknown;
  batch?: { entries: StoredEntry[]; treatments: StoredTreatment[]; devicestatus: unknown[] };
  result?: { outcome: string };
}

interface Capture {
  bridge: string;
  source: string;
  loops: CapturedLoop[];
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

const frames = (stderr: string, outcome: string): number =>
  logLines(stderr).filter((l) => l.loop === 'entries' && l.outcome === outcome).length;
const hasLluError = (text: string): boolean => /\[LLU[0-9A-Z_-]*\]/.test(text);

const stored = storedDocuments;

const startFake = perTest(startFakeLibreLinkUp);
const fake = (options: FakeLluOptions = {}): Promise<FakeLibreLinkUp> => startFake(options);
const { forever, stop } = foreverRuns();

function lluEnv(llu: FakeLibreLinkUp, cwd: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CONNECT_SOURCE: 'linkup',
    CONNECT_LINK_UP_USERNAME: llu.scenario.email,
    CONNECT_LINK_UP_PASSWORD: llu.scenario.password,
    CONNECT_LINK_UP_SERVER: llu.url,
    CONNECT_LINK_UP_INTERVAL_SECONDS: '10',
    CONNECT_LINK_UP_MIN_INTERVAL_SECONDS: '10',
    GLUCO_HUB__STATE_DIR: join(cwd, 'state'),
    GLUCO_HUB__FILESYSTEM__DIR: join(cwd, 'data'),
    ...extra,
  };
}

function capture(stdout: string): CapturedLoop[] {
  const captures = JSON.parse(stdout) as Capture[];
  expect(captures).toHaveLength(1);
  expect(captures[0]).toMatchObject({ bridge: 'linkup', source: 'linkup' });
  return captures[0]!.loops;
}

const sorted = (s: Iterable<number>): number[] => [...s].sort((a, b) => a - b);

describe('gluco-hub with a LibreLink Up account (fake cloud)', () => {
  it('capture --json: current reading with its arrow, 5-min history without, nothing written', async () => {
    const patient = fakePatient({ unit: 'mmol/L', utcOffsetMinutes: 60 });
    const llu = await fake({ patients: [patient] });
    const cwd = tempDir('gh-llu-');
    const run = await runCli(['capture', '--json'], { cwd, env: lluEnv(llu, cwd), timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    const loops = capture(run.stdout);
    const entriesLoop = loops.find((l) => l.loop === 'entries');
    expect(entriesLoop?.result?.outcome).toBe('success');
    expect(entriesLoop?.raw).toBeTruthy();
    expect(entriesLoop?.batch).toMatchObject({ entries: expect.any(Array), treatments: expect.any(Array), devicestatus: expect.any(Array) });

    const entries = loops.flatMap((l) => l.batch?.entries ?? []);
    const graph = llu.servedDates(['graph']);
    const currents = llu.served.filter((s) => s.kind === 'current');
    expect(graph.size).toBeGreaterThan(130);
    expect(currents.length).toBeGreaterThanOrEqual(1);
    expect(new Set(entries.map((e) => e.identifier)).size).toBe(entries.length);
    // Dates are FactoryTimestamp read as UTC (the patient's local Timestamp is an hour later).
    const dates = new Set(entries.map((e) => e.date));
    for (const d of graph) expect(dates.has(d), `graph point ${new Date(d).toISOString()} missing`).toBe(true);
    const allowed = llu.servedDates(['graph', 'current', 'connections']);
    for (const d of dates) expect(allowed.has(d), `entry ${new Date(d).toISOString()} was never served`).toBe(true);
    for (const e of entries) {
      expect(e.type).toBe('sgv');
      expect(e.sgv, 'sgv is ValueInMgPerDl even for a mmol/L patient').toBe(glucoseAt(e.date, patient.seed));
    }
    const current = currents[currents.length - 1]!;
    const currentEntry = entries.find((e) => e.date === current.at);
    expect(currentEntry, 'the current reading is stored').toBeDefined();
    // glucoseMeasurement's arrow, not glucoseItem's (the fake makes them differ).
    expect(currentEntry?.direction).toBe(ARROW_DIRECTIONS[current.arrow!]);
    for (const e of entries.filter((x) => graph.has(x.date))) {
      // The spec allows "no direction" or NOT COMPUTABLE for history; never a made-up arrow.
      expect([undefined, 'NOT COMPUTABLE']).toContain(e.direction);
    }
    for (const t of loops.flatMap((l) => l.batch?.treatments ?? [])) {
      if (t.eventType === 'Sensor Start') expect(t.date).toBe(patient.sensorActivatedAt * 1000);
    }

    expect(llu.counters.logins).toBe(1);
    const data = llu.requests.filter((r) => r.path.startsWith('/llu/connections'));
    for (const r of data) expect(r.headers).toMatchObject({ 'account-id': llu.accountId(), version: '4.16.0', product: expect.any(String) });
    expect(existsSync(join(cwd, 'data'))).toBe(false);
    expect(existsSync(join(cwd, 'gluco-hub-data'))).toBe(false);
    expect(run.stderr).not.toContain(llu.scenario.password);
  }, 30_000);

  it('forever: every reading once, late graph back-fill kept, restart reuses the persisted ticket', async () => {
    const phase = 23_000;
    // The fake's clock runs 0–5 min behind, so its "now" starts 30 s after a 5-min tick.
    const real = Date.now();
    const tick = tickAtOrBefore(real - 30_000, 5 * MIN, phase);
    const shift = real - (tick + 30_000);
    const llu = await fake({ now: () => Date.now() - shift, timing: { phaseMs: phase, graphLagMs: 20 * MIN } });
    const cwd = tempDir('gh-llu-');
    const env = lluEnv(llu, cwd);
    const dataDir = join(cwd, 'data');

    const first = forever(cwd, env);
    await first.until((o) => frames(o.stderr, 'success') >= 1, 30_000);
    const graphBefore = llu.servedDates(['graph']).size;
    // The graph back-fills points that are older than the current reading already stored.
    llu.set({ timing: { graphLagMs: 5 * MIN } });
    await first.until((o) => frames(o.stderr, 'success') >= 2, 45_000);
    const servedAtSuccess = llu.servedDates(['graph', 'current']);
    const graphCalls = llu.counters.graph;
    expect(await stop(first)).toBe(0);
    expect(llu.servedDates(['graph']).size, 'the back-fill was served').toBeGreaterThan(graphBefore);
    expect(llu.counters.logins).toBe(1);

    const entries = stored<StoredEntry>(dataDir, 'entries');
    expect(new Set(entries.map((e) => e.identifier)).size).toBe(entries.length);
    const dates = new Set(entries.map((e) => e.date));
    expect(dates.size).toBe(entries.length);
    for (const d of servedAtSuccess) expect(dates.has(d), `served ${new Date(d).toISOString()} not stored`).toBe(true);
    const everServed = llu.servedDates(['graph', 'current', 'connections']);
    for (const d of dates) expect(everServed.has(d), `stored ${new Date(d).toISOString()} never served`).toBe(true);
    if (llu.counters.graph === graphCalls) expect(sorted(dates)).toEqual(sorted(servedAtSuccess));
    expect(dates.has(tick), 'the first current reading').toBe(true);

    // The session is in the state directory, private to the user.
    const stateFiles = filesUnder(join(cwd, 'state'));
    expect(stateFiles.length).toBeGreaterThan(0);
    for (const f of stateFiles) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    const tokens = stateFiles.flatMap((f) => readFileSync(f, 'utf8').match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g) ?? []);
    expect(tokens.some((t) => decodeToken(t)?.id === llu.scenario.userId), 'a ticket is persisted').toBe(true);
    expect(first.output().stderr).not.toContain(llu.scenario.password);
    for (const t of llu.issuedTokens) expect(first.output().stderr).not.toContain(t);

    // Restart: no new login; the graph now also holds the first current reading's timestamp.
    llu.set({ timing: { graphLagMs: 0 } });
    const graphCallsBefore = llu.counters.graph;
    const second = forever(cwd, env);
    await second.until((o) => frames(o.stderr, 'success') >= 1, 30_000);
    const servedAtSecond = llu.servedDates(['graph', 'current']);
    expect(await stop(second)).toBe(0);
    expect(llu.counters.graph).toBeGreaterThan(graphCallsBefore);
    expect(llu.counters.logins, 'a restart must not log in again').toBe(1);
    const after = stored<StoredEntry>(dataDir, 'entries');
    expect(new Set(after.map((e) => e.identifier)).size).toBe(after.length);
    expect(llu.servedDates(['graph']).has(tick), 'the graph caught up with the first current reading').toBe(true);
    expect(after.filter((e) => e.date === tick)).toHaveLength(1);
    const afterDates = new Set(after.map((e) => e.date));
    for (const d of servedAtSecond) expect(afterDates.has(d), `served ${new Date(d).toISOString()} not stored`).toBe(true);
    const treatments = stored<StoredTreatment>(dataDir, 'treatments');
    expect(new Set(treatments.map((t) => t.identifier)).size).toBe(treatments.length);
  }, 120_000);

  it('a server-side 401 costs exactly one new login, and the bridge carries on', async () => {
    const llu = await fake();
    const cwd = tempDir('gh-llu-');
    const run = forever(cwd, lluEnv(llu, cwd));
    await run.until((o) => frames(o.stderr, 'success') >= 1, 30_000);
    llu.revokeTokens();
    const before = frames(run.output().stderr, 'success');
    await run.until((o) => frames(o.stderr, 'success') > before, 45_000);
    expect(await stop(run)).toBe(0);
    expect(llu.requests.some((r) => r.path.startsWith('/llu/connections') && r.status === 401)).toBe(true);
    expect(llu.counters.logins).toBe(2);
    const entries = stored<StoredEntry>(join(cwd, 'data'), 'entries');
    expect(new Set(entries.map((e) => e.identifier)).size).toBe(entries.length);
  }, 90_000);

  it('bad password: one login, a coded error, keeps running; a restart does not try again', async () => {
    const llu = await fake();
    const cwd = tempDir('gh-llu-');
    const env = lluEnv(llu, cwd, { CONNECT_LINK_UP_PASSWORD: 'wrong-password' });

    const first = forever(cwd, env);
    // Two failed frames: the retry must not be another login (three quick ones lock the account).
    await first.until((o) => hasLluError(o.stderr) && frames(o.stderr, 'failed') >= 2, 45_000);
    expect(llu.counters.logins).toBe(1);
    expect(llu.counters.badCredentials).toBe(1);
    expect(first.child.exitCode, 'still running').toBeNull();
    expect(await stop(first)).toBe(0);
    expect(first.output().stderr).not.toContain('wrong-password');

    const second = forever(cwd, env);
    await second.until((o) => hasLluError(o.stderr) && frames(o.stderr, 'failed') >= 1, 30_000);
    expect(llu.counters.logins, 'no login after a persisted refusal').toBe(1);
    expect(await stop(second)).toBe(0);

    const once = await runCli(['capture', '--json'], { cwd, env, timeoutMs: 30_000 });
    expect(once.code).toBe(1);
    expect(hasLluError(once.stderr)).toBe(true);
    expect(once.stderr).not.toContain('unexpected error');
    expect(llu.counters.logins).toBe(1);

    // Fixing the password is what the user does next: that one is tried.
    const fixed = await runCli(['capture', '--json'], { cwd, env: lluEnv(llu, cwd), timeoutMs: 30_000 });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(llu.counters).toMatchObject({ logins: 2, loginSuccesses: 1 });
  }, 90_000);

  it('locked account (429 "locked"): one attempt, then no login until the lockout is over, across restarts', async () => {
    const llu = await fake();
    llu.lock();
    const cwd = tempDir('gh-llu-');
    const env = lluEnv(llu, cwd);
    const first = forever(cwd, env);
    await first.until((o) => hasLluError(o.stderr) && frames(o.stderr, 'failed') >= 1, 30_000);
    expect(llu.counters).toMatchObject({ logins: 1, locked: 1 });
    expect(await stop(first)).toBe(0);
    const second = forever(cwd, env);
    await second.until((o) => hasLluError(o.stderr) && frames(o.stderr, 'failed') >= 1, 30_000);
    expect(llu.counters.logins, 'no login during the lockout').toBe(1);
    expect(await stop(second)).toBe(0);
  }, 90_000);

  it('an outdated app version (403, status 920): a coded line naming both versions and the setting, no stack; no second ask within the hour, across restarts', async () => {
    const llu = await fake();
    const cwd = tempDir('gh-llu-');
    const env = lluEnv(llu, cwd, { CONNECT_LINK_UP_VERSION: '4.12.0' });
    const run = await runCli(['capture', '--json'], { cwd, env, timeoutMs: 30_000 });
    expect(run.code).not.toBe(0);
    expect(run.stderr).not.toContain('unexpected error');
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr).toContain('[LLU028] LibreLink Up requires app version 4.16.0 or newer (this bridge sends 4.12.0): set CONNECT_LINK_UP_VERSION=4.16.0');
    expect(llu.requests.some((r) => r.headers.version === '4.12.0')).toBe(true);
    expect(llu.counters).toMatchObject({ logins: 1, connections: 1 });

    // A restart (or a crash loop) within the hour asks nothing and says the same.
    const again = await runCli(['capture', '--json'], { cwd, env, timeoutMs: 30_000 });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('[LLU028] LibreLink Up requires app version 4.16.0 or newer');
    expect(llu.counters, 'no request while the hour runs').toMatchObject({ logins: 1, connections: 1 });

    // What the user does next: the corrected version is sent at once.
    const fixed = await runCli(['capture', '--json'], { cwd, env: lluEnv(llu, cwd, { CONNECT_LINK_UP_VERSION: '4.16.0' }), timeoutMs: 30_000 });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(llu.counters).toMatchObject({ logins: 1, connections: 2 });
  }, 90_000);

  it('several patients: unpinned lists them; CONNECT_LINK_UP_PATIENT_NAME / _ID pick one', async () => {
    const alice = fakePatient({ firstName: 'Alice', lastName: 'Doe', seed: 2 });
    const bob = fakePatient({ firstName: 'Bob', lastName: 'Builder', seed: 3 });
    const carol = fakePatient({ firstName: 'Carol', lastName: 'Chen', seed: 4 });
    const llu = await fake({ patients: [alice, bob, carol] });
    const cwd = tempDir('gh-llu-');

    const unpinned = await runCli(['capture', '--json'], { cwd, env: lluEnv(llu, cwd), timeoutMs: 30_000 });
    expect(unpinned.code).not.toBe(0);
    expect(hasLluError(unpinned.stderr)).toBe(true);
    for (const p of [alice, bob, carol]) {
      const named = unpinned.stderr.includes(`${p.firstName} ${p.lastName}`) || unpinned.stderr.includes(p.patientId);
      expect(named, `${p.firstName} ${p.lastName} is listed`).toBe(true);
    }
    expect(llu.counters.graph).toBe(0);

    for (const [pin, patient] of [
      [{ CONNECT_LINK_UP_PATIENT_NAME: 'bob builder' }, bob],
      [{ CONNECT_LINK_UP_PATIENT_ID: carol.patientId }, carol],
    ] as const) {
      const graphBefore = llu.requests.length;
      const run = await runCli(['capture', '--json'], { cwd, env: lluEnv(llu, cwd, pin), timeoutMs: 30_000 });
      expect(run.code, run.stderr).toBe(0);
      const graphPaths = llu.requests.slice(graphBefore).filter((r) => r.path.endsWith('/graph')).map((r) => r.path);
      expect(graphPaths.length).toBeGreaterThan(0);
      for (const p of graphPaths) expect(p).toBe(`/llu/connections/${patient.patientId}/graph`);
      const entries = capture(run.stdout).flatMap((l) => l.batch?.entries ?? []);
      expect(entries.length).toBeGreaterThan(100);
      for (const e of entries) expect(e.sgv).toBe(glucoseAt(e.date, patient.seed));
    }
  }, 60_000);

  it('region redirect: followed once (same configured server); a redirect loop is refused', async () => {
    const llu = await fake({ redirects: 1, homeRegion: 'eu2' });
    const cwd = tempDir('gh-llu-');
    const run = await runCli(['capture', '--json'], { cwd, env: lluEnv(llu, cwd), timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(llu.counters).toMatchObject({ logins: 2, redirects: 1, loginSuccesses: 1 });
    expect(run.stderr).toMatch(/eu2/i);

    const looping = await fake({ redirects: 10 });
    const cwd2 = tempDir('gh-llu-');
    const loop = await runCli(['capture', '--json'], { cwd: cwd2, env: lluEnv(looping, cwd2), timeoutMs: 30_000 });
    expect(loop.code).not.toBe(0);
    expect(hasLluError(loop.stderr)).toBe(true);
    expect(loop.stderr).not.toContain('unexpected error');
    expect(looping.counters.logins).toBeLessThanOrEqual(3);
  }, 60_000);

  it('Cloudflare HTML and HTTP 430 become coded errors after one request, not crashes', async () => {
    for (const block of ['cloudflare', 'http430'] as const) {
      const llu = await fake({ block });
      const cwd = tempDir('gh-llu-');
      const run = await runCli(['capture', '--json'], { cwd, env: lluEnv(llu, cwd), timeoutMs: 30_000 });
      expect(run.code, block).toBe(1);
      expect(hasLluError(run.stderr), block).toBe(true);
      expect(run.stderr).not.toContain('unexpected error');
      expect(llu.requests, block).toHaveLength(1);
    }
  }, 60_000);

  it('new terms of use: stops with a coded error unless accepting is opted in', async () => {
    const llu = await fake({ steps: ['tou'] });
    const cwd = tempDir('gh-llu-');
    const refused = await runCli(['capture', '--json'], { cwd, env: lluEnv(llu, cwd), timeoutMs: 30_000 });
    expect(refused.code).not.toBe(0);
    expect(hasLluError(refused.stderr)).toBe(true);
    expect(refused.stderr).toMatch(/terms|tou/i);
    expect(llu.counters.continues).toBe(0);

    const accepted = await runCli(['capture', '--json'], {
      cwd,
      env: lluEnv(llu, cwd, { CONNECT_LINK_UP_ACCEPT_TERMS: 'true' }),
      timeoutMs: 30_000,
    });
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(llu.counters.continues).toBe(1);
    expect(llu.scenario.steps).toEqual([]);
  }, 60_000);
});

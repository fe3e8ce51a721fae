import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFakeCareLink, type FakeCareLink, type FakeCareLinkOptions } from '../fakes/carelink-server.js';
import { perTest } from '../fakes/per-test.js';
import { foreverRuns, runCli, startCli, tempDir } from './cli.js';
import { logLines } from './readings.js';

/** The real CLI against the fake CareLink (test/fakes/carelink-server.ts): a scripted `login`, then the bridge. */

const startFake = perTest(startFakeCareLink);
const fake = (options: FakeCareLinkOptions = {}): Promise<FakeCareLink> => startFake(options);
const { forever, stop } = foreverRuns();

function env(carelink: FakeCareLink, cwd: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CONNECT_SOURCE: 'minimedcarelink',
    CONNECT_CARELINK_SERVER: carelink.url,
    CONNECT_COUNTRY_CODE: 'in',
    CONNECT_CARELINK_INTERVAL_SECONDS: '10',
    CONNECT_CARELINK_MIN_INTERVAL_SECONDS: '10',
    GLUCO_HUB__STATE_DIR: join(cwd, 'state'),
    GLUCO_HUB__FILESYSTEM__DIR: join(cwd, 'data'),
    ...extra,
  };
}

/** Follows the printed link the way a browser would, without following the redirect to the app's scheme. */
function redirectOf(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      res.resume();
      const location = res.headers.location;
      if (res.statusCode === 302 && location) resolve(location);
      else reject(new Error(`authorize answered ${res.statusCode}`));
    })
      .on('error', reject)
      .end();
  });
}

/** `gluco-hub login carelink` as a person does it: open the link, log in, paste the final address. */
async function scriptedLogin(carelink: FakeCareLink, cwd: string, extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startCli(['login', 'carelink'], { cwd, env: env(carelink, cwd, extra) });
  await run.until((o) => o.stdout.includes('Paste the address'), 20_000);
  const link = /^\s+(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m.exec(run.output().stdout)?.[1];
  expect(link, run.output().stdout).toBeDefined();
  run.child.stdin!.write(`${await redirectOf(link!)}\n`);
  const code = await run.exit;
  return { code, ...run.output() };
}

function stored(dataDir: string, collection: string): Record<string, unknown>[] {
  const base = join(dataDir, collection);
  if (!existsSync(base)) return [];
  return readdirSync(base).flatMap((f) =>
    readFileSync(join(base, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  );
}

function loginFile(cwd: string): string {
  return join(cwd, 'state', 'minimedcarelink', 'carelink-login.json');
}

function expectNoTokens(carelink: FakeCareLink, ...texts: string[]): void {
  for (const text of texts) {
    for (const t of [...carelink.issuedAccess, ...carelink.issuedRefresh]) expect(text).not.toContain(t);
    expect(text).not.toMatch(/code_verifier|[?&]code=[0-9a-f]{32}/);
  }
}

const frames = (stderr: string, outcome: string): number => logLines(stderr).filter((l) => l.loop === 'entries' && l.outcome === outcome).length;

describe('gluco-hub with a Medtronic CareLink account (fake server)', () => {
  it('login carelink: link, pasted redirect, tokens saved 0600, and the account checked', async () => {
    const carelink = await fake();
    const cwd = tempDir('gh-cl-');
    const login = await scriptedLogin(carelink, cwd);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain('(region EU)');
    expect(login.stdout).toMatch(/revokes these tokens/);
    expect(login.stdout).toContain('Logged in to CareLink as care partner cp_follower1, following pt_user1');
    expect(carelink.counters).toMatchObject({ authorize: 1, codeExchanges: 1, refused: 0 });
    expect(statSync(loginFile(cwd)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(loginFile(cwd), 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ refreshToken: carelink.currentRefresh(), clientId: 'fakeClientId123', tokenUrl: 'https://carelink-login.minimed.eu/oauth/token', region: 'eu', origin: 'login' });
    expectNoTokens(carelink, login.stdout, login.stderr);
  }, 40_000);

  it('forever after login: entries, treatments and devicestatus at the right times; rotated refresh tokens persisted; a restart refreshes from the file', async () => {
    const carelink = await fake({ accessTtlSeconds: 305 });
    const cwd = tempDir('gh-cl-');
    expect((await scriptedLogin(carelink, cwd)).code).toBe(0);
    const run = forever(cwd, env(carelink, cwd));
    await run.until((o) => frames(o.stderr, 'success') >= 2 && carelink.counters.refreshes >= 1, 60_000);
    expect(await stop(run)).toBe(0);
    const data = join(cwd, 'data');
    const entries = stored(data, 'entries');
    expect(new Set(entries.map((e) => e.identifier)).size).toBe(entries.length);
    const served = carelink.served;
    expect(entries.length).toBeGreaterThanOrEqual(carelink.days[0]!.served.length - 2);
    for (const e of entries) {
      expect(served.get(e.date as number), `entry at ${String(e.dateString)} was not served at that UTC time`).toBe(e.sgv);
      expect(e).toMatchObject({ device: 'carelink', utcOffset: 330 });
    }
    // Each treatment is at the true UTC time of a marker some served day had, with its amounts.
    const markerTimes = (which: 'meal' | 'correction' | 'bg'): number[] => carelink.days.map((d) => d.markers[which]);
    const treatments = stored(data, 'treatments');
    const expectTreatment = (eventType: string, which: 'meal' | 'correction' | 'bg', fields: Record<string, unknown>): void => {
      const found = treatments.filter((t) => t.eventType === eventType);
      expect(found.length, eventType).toBeGreaterThanOrEqual(1);
      for (const t of found) {
        expect(markerTimes(which)).toContain(t.date);
        expect(t).toMatchObject({ ...fields, utcOffset: 330 });
      }
    };
    expectTreatment('Meal Bolus', 'meal', { carbs: 45, insulin: 4.5 });
    expectTreatment('Correction Bolus', 'correction', { insulin: 0.6, automatic: true });
    expectTreatment('BG Check', 'bg', { glucose: 142 });
    expect(treatments).toHaveLength(new Set(treatments.map((t) => t.identifier)).size);
    expect(treatments.length).toBeLessThanOrEqual(3 * carelink.days.length);
    const statuses = stored(data, 'devicestatus');
    expect(statuses.length).toBeGreaterThanOrEqual(1);
    const updates = carelink.days.map((d) => d.patientData.lastMedicalDeviceDataUpdateServerTime);
    for (const status of statuses) {
      expect(updates).toContain(status.date);
      expect(status).toMatchObject({
        uploader: { battery: 71 },
        pump: { battery: { percent: 100 }, reservoir: 123.5, iob: { bolusiob: 1.85 }, extended: { SmartGuard: 'AUTO_BASAL' } },
        connect: { sensorState: 'NO_ERROR_MESSAGE' },
      });
    }
    expect(new Set(statuses.map((s) => s.identifier)).size).toBe(statuses.length);
    // Every refresh rotated the token; the file holds the one that works now.
    const saved = JSON.parse(readFileSync(loginFile(cwd), 'utf8')) as Record<string, unknown>;
    expect(saved.refreshToken).toBe(carelink.currentRefresh());
    expect(statSync(loginFile(cwd)).mode & 0o777).toBe(0o600);
    expect(carelink.counters.refused).toBe(0);
    expectNoTokens(carelink, run.output().stderr, run.output().stdout);

    const refreshesBefore = carelink.counters.refreshes;
    const again = forever(cwd, env(carelink, cwd));
    await again.until((o) => frames(o.stderr, 'success') >= 1 && carelink.counters.refreshes > refreshesBefore, 45_000);
    expect(await stop(again)).toBe(0);
    expect(carelink.counters).toMatchObject({ codeExchanges: 1, refused: 0 });
    expect(stored(data, 'entries').length).toBe(new Set(stored(data, 'entries').map((e) => e.identifier)).size);
  }, 120_000);

  it('a revoked login (logged in elsewhere): one refresh attempt, CL004 naming `gluco-hub login carelink`, no retries; a new login fixes it', async () => {
    const carelink = await fake();
    const cwd = tempDir('gh-cl-');
    expect((await scriptedLogin(carelink, cwd)).code).toBe(0);
    carelink.revokeAll();
    const first = await runCli(['capture', '--json'], { cwd, env: env(carelink, cwd), timeoutMs: 30_000 });
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('CL004');
    expect(first.stderr).toContain('run `gluco-hub login carelink` again');
    expect(carelink.counters).toMatchObject({ refreshes: 1, refused: 1 });
    const second = await runCli(['capture', '--json'], { cwd, env: env(carelink, cwd), timeoutMs: 30_000 });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('CL004');
    expect(carelink.counters.refreshes, 'no refresh with a refresh token CareLink refused').toBe(1);

    expect((await scriptedLogin(carelink, cwd)).code).toBe(0);
    const third = await runCli(['capture', '--json'], { cwd, env: env(carelink, cwd), timeoutMs: 30_000 });
    expect(third.code, third.stderr).toBe(0);
    const capture = JSON.parse(third.stdout) as { loops: { batch?: { entries: unknown[]; treatments: unknown[]; devicestatus: unknown[] } }[] }[];
    const batch = capture[0]!.loops[0]!.batch!;
    expect(batch.entries.length).toBeGreaterThan(250);
    expect(batch.treatments.length).toBe(3);
    expect(batch.devicestatus.length).toBe(1);
  }, 90_000);

  it('--import of an Auth0-era logindata.json, then capture; a MAG-era file and a configured password are refused with the new login explained', async () => {
    const carelink = await fake({ role: 'PATIENT_OUS', username: 'pt_self' });
    const cwd = tempDir('gh-cl-');
    const file = join(cwd, 'logindata.json');
    writeFileSync(file, JSON.stringify({ access_token: 'eyJhbGciOiJSUzI1NiJ9.e30.sig', refresh_token: carelink.mintRefreshToken(), client_id: 'fakeClientId123', token_url: 'https://carelink-login.minimed.eu/oauth/token', audience: 'https://example.invalid/api', scope: 'openid profile offline_access' }));
    const imported = await runCli(['login', 'carelink', '--import', file], { cwd, env: env(carelink, cwd), timeoutMs: 30_000 });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('Logged in to CareLink as patient pt_self');
    expect(carelink.counters.refreshes, 'the imported access token had no expiry: refreshed at once').toBe(1);
    const capture = await runCli(['capture', '--json'], { cwd, env: env(carelink, cwd), timeoutMs: 30_000 });
    expect(capture.code, capture.stderr).toBe(0);
    expect(capture.stderr).toMatch(/patient account/);

    const mag = join(cwd, 'mag.json');
    writeFileSync(mag, JSON.stringify({ access_token: 'a', refresh_token: 'r', client_id: 'c', client_secret: 's', 'mag-identifier': 'm', scope: 'x' }));
    const refusedImport = await runCli(['login', 'carelink', '--import', mag], { cwd, env: env(carelink, cwd), timeoutMs: 30_000 });
    expect(refusedImport.code).toBe(2);
    expect(refusedImport.stderr).toMatch(/\[CL012\].*MAG-era/);
    expect(refusedImport.stderr).not.toMatch(/\n\s+at /);

    const withPassword = await runCli(['capture'], { cwd, env: env(carelink, cwd, { CONNECT_CARELINK_USERNAME: 'me', CONNECT_CARELINK_PASSWORD: 'old-secret-pw' }), timeoutMs: 30_000 });
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).toContain('[CL002]');
    expect(withPassword.stderr).toContain('gluco-hub login carelink');
    expect(withPassword.stderr).not.toContain('old-secret-pw');
  }, 90_000);

  it('capture before any login is CL003; a login without a CareLink bridge is CL023; a pasted address without a code is CL009', async () => {
    const carelink = await fake();
    const cwd = tempDir('gh-cl-');
    const run = await runCli(['capture'], { cwd, env: env(carelink, cwd), timeoutMs: 30_000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('CL003');
    expect(run.stderr).toContain('gluco-hub login carelink');
    expect(carelink.requests).toHaveLength(0);

    const otherSource = await runCli(['login', 'carelink'], { cwd, env: { ...env(carelink, cwd), CONNECT_SOURCE: 'linkup', CONNECT_LINK_UP_USERNAME: 'a', CONNECT_LINK_UP_PASSWORD: 'b' }, timeoutMs: 30_000 });
    expect(otherSource.code).toBe(2);
    expect(otherSource.stderr).toContain('[CL023] no CareLink bridge is configured');

    const garbage = await runCli(['login', 'carelink', '--no-browser', '--code', 'com.medtronic.carepartner:/sso?state=x'], { cwd, env: env(carelink, cwd), timeoutMs: 30_000 });
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toContain('[CL009]');
    expect(carelink.counters.codeExchanges).toBe(0);
    expect(existsSync(loginFile(cwd))).toBe(false);
  }, 60_000);
});

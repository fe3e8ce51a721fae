import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glucoseAt } from '../fakes/llu-wire.js';
import { fakePatient, startFakeLibreLinkUp } from '../fakes/llu-server.js';
import { perTest } from '../fakes/per-test.js';
import { runCli, tempDir } from './cli.js';

/**
 * `capture` of a LibreLink Up bridge that follows several people (`CONNECT_LINK_UP_PATIENT_ID=all`):
 * one login and one connections call, then a frame per person under the bridge id `forever` gives
 * them, and `--bridge` takes one person's id.
 */

interface Captured {
  bridge: string;
  follows?: { account: string; patientId: string; name: string };
  loops: { loop: string; batch?: { entries: { date: number; sgv?: number }[] }; result?: { outcome: string; error?: unknown } }[];
}

const startFake = perTest(startFakeLibreLinkUp);
const alice = fakePatient({ firstName: 'Alice', lastName: 'Doe', seed: 2 });
const bob = fakePatient({ firstName: 'Bob', lastName: 'Builder', seed: 3 });

function env(url: string, email: string, password: string, cwd: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CONNECT_SOURCE: 'linkup',
    CONNECT_LINK_UP_USERNAME: email,
    CONNECT_LINK_UP_PASSWORD: password,
    CONNECT_LINK_UP_SERVER: url,
    CONNECT_LINK_UP_PATIENT_ID: 'all',
    GLUCO_HUB__STATE_DIR: join(cwd, 'state'),
    GLUCO_HUB__FILESYSTEM__DIR: join(cwd, 'data'),
    ...extra,
  };
}

const slug = (patientId: string): string => patientId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 8);

describe('capture with a bridge that follows several people', () => {
  it('captures everyone followed, one login for all, each under their own bridge id; writes nothing', async () => {
    const llu = await startFake({ patients: [alice, bob] });
    const cwd = tempDir('gh-capture-follow-');
    const run = await runCli(['capture', '--json'], { cwd, env: env(llu.url, llu.scenario.email, llu.scenario.password, cwd), timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    const captures = JSON.parse(run.stdout) as Captured[];
    expect(captures.map((c) => c.bridge)).toEqual([`linkup-${slug(alice.patientId)}`, `linkup-${slug(bob.patientId)}`]);
    expect(captures.map((c) => c.follows)).toEqual([
      { account: 'linkup', patientId: alice.patientId, name: 'Alice Doe' },
      { account: 'linkup', patientId: bob.patientId, name: 'Bob Builder' },
    ]);
    // Each person's readings are theirs, not the other's.
    for (const [capture, patient] of [[captures[0]!, alice], [captures[1]!, bob]] as const) {
      const entries = capture.loops.flatMap((l) => l.batch?.entries ?? []);
      expect(entries.length).toBeGreaterThan(100);
      for (const e of entries) expect(e.sgv).toBe(glucoseAt(e.date, patient.seed));
    }
    expect(llu.counters.logins).toBe(1);
    expect(existsSync(join(cwd, 'data'))).toBe(false);
    // The login is saved where `forever` finds it: the account's state, not a person's.
    expect(readdirSync(join(cwd, 'state')).sort()).toEqual(expect.arrayContaining(['linkup']));

    const human = await runCli(['capture', '--no-chart'], { cwd, env: env(llu.url, llu.scenario.email, llu.scenario.password, cwd), timeoutMs: 30_000 });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`bridge "linkup-${slug(alice.patientId)}" — source linkup, Alice Doe as followed by bridge "linkup"`);
    // The saved login was used again: no second login.
    expect(llu.counters.logins).toBe(1);
  }, 60_000);

  it("--bridge with a person's bridge id captures only them; an id nobody has is CAP001 (exit 2), with the people listed", async () => {
    const llu = await startFake({ patients: [alice, bob] });
    const cwd = tempDir('gh-capture-follow-');
    const e = env(llu.url, llu.scenario.email, llu.scenario.password, cwd);
    const one = await runCli(['capture', '--json', '--bridge', `linkup-${slug(bob.patientId)}`], { cwd, env: e, timeoutMs: 30_000 });
    expect(one.code, one.stderr).toBe(0);
    expect((JSON.parse(one.stdout) as Captured[]).map((c) => c.bridge)).toEqual([`linkup-${slug(bob.patientId)}`]);
    const graphs = llu.requests.filter((r) => r.path.endsWith('/graph')).map((r) => r.path);
    expect(new Set(graphs)).toEqual(new Set([`/llu/connections/${bob.patientId}/graph`]));

    const nobody = await runCli(['capture', '--bridge', 'linkup-00000000'], { cwd, env: e, timeoutMs: 30_000 });
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain('[CAP001]');
    expect(nobody.stderr).toContain(`linkup-${slug(alice.patientId)} (Alice Doe)`);
    expect(nobody.stderr).not.toMatch(/\n\s+at /);

    const unknown = await runCli(['capture', '--bridge', 'nope'], { cwd, env: e, timeoutMs: 30_000 });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/\[CAP001\] no bridge "nope"; configured: linkup/);
  }, 60_000);

  it('an account that follows nobody: loop people failed with LLU018, exit 1', async () => {
    const llu = await startFake({ patients: [] });
    const cwd = tempDir('gh-capture-follow-');
    const run = await runCli(['capture', '--json'], { cwd, env: env(llu.url, llu.scenario.email, llu.scenario.password, cwd), timeoutMs: 30_000 });
    expect(run.code).toBe(1);
    const captures = JSON.parse(run.stdout) as Captured[];
    expect(captures).toHaveLength(1);
    expect(captures[0]).toMatchObject({ bridge: 'linkup', loops: [{ loop: 'people', result: { outcome: 'failed' } }] });
    const human = await runCli(['capture'], { cwd, env: env(llu.url, llu.scenario.email, llu.scenario.password, cwd), timeoutMs: 30_000 });
    expect(human.stdout).toMatch(/loop people\n {2}outcome {2}failed: \[LLU018\] the LibreLink Up account follows nobody/);
  }, 60_000);
});

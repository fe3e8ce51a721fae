import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncIdentifier } from '../../lib/identity.js';
import { foreverRuns, runCli, tempDir } from './cli.js';

/**
 * `gluco-hub dlq list|retry|drop` as a person uses it, and the state folder's lock: a second
 * `forever`, or a change to the queue files while a bridge runs, stops with STATE005 naming the
 * process that holds the folder.
 */

const { forever, stop } = foreverRuns();
const DEVICE = 'gluco-hub-simulator';

function entry(date: number): Record<string, unknown> {
  return { type: 'sgv', sgv: 120, date, dateString: new Date(date).toISOString(), device: DEVICE, app: 'gluco-hub', utcOffset: 0, identifier: syncIdentifier({ device: DEVICE, date }) };
}

const jsonl = (lines: unknown[]): string => lines.map((l) => `${JSON.stringify(l)}\n`).join('');

/** A state folder as `forever` leaves it after Nightscout refused one reading and another keeps failing. */
function stateWithTrouble(): { cwd: string; stateDir: string; refused: Record<string, unknown>; failing: Record<string, unknown> } {
  const cwd = tempDir('gh-dlq-');
  const stateDir = join(cwd, 'state');
  const dir = join(stateDir, 'simulator');
  mkdirSync(dir, { recursive: true });
  const refused = entry(Date.UTC(2026, 11, 5, 10, 0, 0));
  const failing = entry(Date.UTC(2026, 11, 5, 11, 0, 0));
  const waiting = entry(Date.UTC(2026, 11, 5, 12, 0, 0));
  writeFileSync(
    join(dir, 'output-nightscout-rejected.jsonl'),
    jsonl([{ collection: 'entries', document: refused, rejectedAt: '2026-12-05T10:05:00.000Z', code: 'NS012', reason: '[NS012] the target Nightscout refused POST /api/v3/entries (HTTP 400): Bad or missing date field', attempts: 0 }]),
  );
  writeFileSync(
    join(dir, 'output-nightscout-queue.jsonl'),
    jsonl([
      { collection: 'entries', document: failing, attempts: 3, firstFailedMs: Date.UTC(2026, 11, 5, 11, 1), retryAtMs: Date.UTC(2026, 11, 5, 13), lastError: '[NS007] the target Nightscout answered HTTP 500' },
      { collection: 'entries', document: waiting },
    ]),
  );
  return { cwd, stateDir, refused, failing };
}

const env = (stateDir: string): Record<string, string> => ({ GLUCO_HUB__STATE_DIR: stateDir });

describe('gluco-hub dlq', () => {
  it('list shows what waits, what keeps failing and what was set aside, with its code and the target answer', async () => {
    const { cwd, stateDir, refused, failing } = stateWithTrouble();
    const run = await runCli(['dlq', 'list'], { cwd, env: env(stateDir) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('simulator/nightscout: 2 waiting in the queue, 1 set aside');
    expect(run.stdout).toContain(`id ${failing.identifier as string}  3× (last: [NS007] the target Nightscout answered HTTP 500)`);
    expect(run.stdout).toMatch(new RegExp(`rejected .*id ${refused.identifier as string}  NS012  \\[NS012\\] .*Bad or missing date field`));

    const json = await runCli(['dlq', 'list', '--json'], { cwd, env: env(stateDir) });
    expect(JSON.parse(json.stdout)).toMatchObject([{ bridge: 'simulator', outputs: [{ output: 'nightscout', queue: [{ attempts: 3 }, { attempts: 0 }], rejected: [{ code: 'NS012' }] }] }]);
  });

  it('retry --all puts set-aside documents back in the queue, failing ones first in line; drop --id forgets one for good', async () => {
    const { cwd, stateDir, refused, failing } = stateWithTrouble();
    const retry = await runCli(['dlq', 'retry', '--all'], { cwd, env: env(stateDir) });
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toContain('2 document(s) will be sent again at the next start');
    const dir = join(stateDir, 'simulator');
    const queue = readFileSync(join(dir, 'output-nightscout-queue.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { document: { identifier: string }; attempts?: number });
    expect(queue.map((l) => l.document.identifier).sort()).toEqual([refused.identifier, failing.identifier, entry(Date.UTC(2026, 11, 5, 12, 0, 0)).identifier].sort());
    expect(queue.every((l) => l.attempts === undefined)).toBe(true);
    expect(readFileSync(join(dir, 'output-nightscout-rejected.jsonl'), 'utf8')).toBe('');

    const drop = await runCli(['dlq', 'drop', '--from', 'queue', '--id', refused.identifier as string], { cwd, env: env(stateDir) });
    expect(drop.code, drop.stderr).toBe(0);
    expect(drop.stdout).toContain('1 document(s) dropped from the queue');
    expect(readFileSync(join(dir, 'output-nightscout-queue.jsonl'), 'utf8')).not.toContain(refused.identifier as string);
  });

  it('a change without --id or --all, or for a bridge that does not exist, is a coded error (exit 2, no stack)', async () => {
    const { cwd, stateDir } = stateWithTrouble();
    const bare = await runCli(['dlq', 'drop'], { cwd, env: env(stateDir) });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^\[DLQ011\] dlq drop needs --id IDENTIFIER/);
    const nobody = await runCli(['dlq', 'list', '--bridge', 'nope'], { cwd, env: env(stateDir) });
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toMatch(/^\[DLQ010\] no bridge "nope"; configured: simulator/);
    expect(bare.stderr + nobody.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('one process per state folder', () => {
  it('a second forever exits 2 naming the first, which keeps running; dlq changes wait for it to stop, list does not', async () => {
    const { cwd, stateDir } = stateWithTrouble();
    const first = forever(cwd, { ...env(stateDir), CONNECT_SIMULATOR_INTERVAL: '60', GLUCO_HUB__LOG__FORMAT: 'json' });
    await first.until((o) => o.stderr.includes('running the built-in simulator'), 30_000);

    const second = await runCli(['forever'], { cwd, env: { ...env(stateDir), CONNECT_SIMULATOR_INTERVAL: '60' }, timeoutMs: 30_000 });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`^\\[STATE005\\] another gluco-hub process \\(pid ${first.child.pid} on .*"forever"`));
    expect(second.stderr).not.toMatch(/\n\s+at /);

    const change = await runCli(['dlq', 'retry', '--all'], { cwd, env: env(stateDir) });
    expect(change.code).toBe(2);
    expect(change.stderr).toMatch(/^\[STATE005\]/);
    expect((await runCli(['dlq', 'list'], { cwd, env: env(stateDir) })).code).toBe(0);

    // capture beside it reads the saved sessions, saves nothing, and says so.
    const capture = await runCli(['capture', '--json'], { cwd, env: env(stateDir), timeoutMs: 30_000 });
    expect(capture.code, capture.stderr).toBe(0);
    expect(capture.stderr).toContain(`another gluco-hub process (pid ${first.child.pid}`);
    expect(capture.stderr).toContain('saves nothing and never refreshes a rotating login');

    expect(first.child.exitCode).toBeNull();
    expect(await stop(first)).toBe(0);
    // Stopped: the folder is free again.
    expect((await runCli(['dlq', 'retry', '--all'], { cwd, env: env(stateDir) })).code).toBe(0);
  }, 90_000);

  it('a lock left by a process that died (SIGKILL) does not stop the next start', async () => {
    const cwd = tempDir('gh-lock-');
    const stateDir = join(cwd, 'state');
    const first = forever(cwd, { ...env(stateDir), CONNECT_SIMULATOR_INTERVAL: '60', GLUCO_HUB__LOG__FORMAT: 'json' });
    await first.until((o) => o.stderr.includes('running the built-in simulator'), 30_000);
    first.child.kill('SIGKILL');
    await first.exit;
    const again = forever(cwd, { ...env(stateDir), CONNECT_SIMULATOR_INTERVAL: '60', GLUCO_HUB__LOG__FORMAT: 'json' });
    await again.until((o) => o.stderr.includes('running the built-in simulator'), 30_000);
    const code = await stop(again);
    expect(code, `signal ${String(again.child.signalCode)}; ${again.output().stderr}`).toBe(0);
  }, 90_000);
});

describe('health data on disk', () => {
  it("the filesystem output's files and capture --out files are the owner's alone (0600, directories 0700)", async () => {
    const cwd = tempDir('gh-modes-');
    const data = join(cwd, 'data');
    const run = forever(cwd, { GLUCO_HUB__STATE_DIR: join(cwd, 'state'), GLUCO_HUB__FILESYSTEM__DIR: data, CONNECT_SIMULATOR_INTERVAL: '60', GLUCO_HUB__LOG__FORMAT: 'json' });
    await run.until((o) => o.stderr.includes('"loop":"entries","outcome":"success"'), 30_000);
    expect(await stop(run)).toBe(0);
    const modeOf = (p: string): string => (statSync(p).mode & 0o777).toString(8);
    const day = readdirSync(join(data, 'entries'))[0]!;
    expect(modeOf(join(data, 'entries', day))).toBe('600');
    expect([modeOf(data), modeOf(join(data, 'entries'))]).toEqual(['700', '700']);

    const out = join(cwd, 'capture');
    const capture = await runCli(['capture', '--out', out], { cwd, env: { GLUCO_HUB__STATE_DIR: join(cwd, 'state') }, timeoutMs: 30_000 });
    expect(capture.code, capture.stderr).toBe(0);
    expect(modeOf(join(out, 'simulator'))).toBe('700');
    for (const file of readdirSync(join(out, 'simulator'))) expect(modeOf(join(out, 'simulator', file)), file).toBe('600');
  }, 90_000);
});

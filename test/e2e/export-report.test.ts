import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { simulatedArchive } from '../fakes/simulated-archive.js';
import { BIN, cleanEnv, foreverRuns, runCli, tempDir } from './cli.js';
import { ptyRuns } from './pty.js';

const { forever, stop } = foreverRuns();
const pty = ptyRuns();

/** `export` and `report` through the real CLI, on an archive the real filesystem output wrote (simulator seed 7, 16 days up to now). */
describe('gluco-hub export and report', () => {
  const cwd = tempDir();
  const data = join(cwd, 'data');
  const run = (args: string[]) => runCli(args, { cwd });

  beforeAll(async () => {
    await simulatedArchive(data, { seed: 7, nowMs: Date.now(), days: 16 });
  });

  it('export: the last 14 days as CSV on stdout by default, nothing on stderr', async () => {
    const r = await run(['export', '--data-dir', data]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('local_time,utc,mgdl,mmol,trend,device');
    // 14 days of 5-minute readings, give or take the reading at each end.
    expect(Math.abs(lines.length - 1 - 14 * 288)).toBeLessThanOrEqual(1);
  });

  it('export --format ndjson --out FILE: written for the owner alone, stdout empty', async () => {
    const out = join(cwd, 'week.ndjson');
    const r = await run(['export', '--data-dir', data, '--from', new Date(Date.now() - 7 * 86_400_000).toISOString(), '--format', 'ndjson', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { mgdl: number });
    expect(Math.abs(rows.length - 7 * 288)).toBeLessThanOrEqual(1);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('says in --help that both bounds are inclusive', async () => {
    const r = await run(['export', '--help']);
    expect(r.stdout).toMatch(/--from[\s\S]*inclusive[\s\S]*--to[\s\S]*inclusive/);
  });

  it.each([
    [['export', '--data-dir', 'data', '--from', 'last tuesday'], /^\[EXP001\] --from "last tuesday" is not a date — /],
    [['export', '--data-dir', 'data', '--from', '2026-12-05', '--to', '2026-12-01'], /^\[EXP002\] --from .* is after --to/],
    [['export', '--data-dir', 'data', '--bridge', 'nobody'], /^\[EXP003\] no bridge "nobody"; configured: simulator/],
    [['export', '--data-dir', 'nowhere'], /^\[EXP005\] no data folder at .*nowhere for bridge "simulator"/],
    [['export', '--data-dir', 'data', '--format', 'xlsx'], /^\[CLI001\] Invalid values:/],
    [['export', '--data-dir', 'data', '--out', join('data', 'entries', 'no-such-dir', 'x.csv')], /^\[EXP007\] cannot write /],
    [['report', '--data-dir', 'data', '--days', '0'], /^\[EXP009\] --days 0 /],
    [['report', '--data-dir', 'nowhere'], /^\[EXP005\] no data folder/],
  ])('%j: a coded error, exit 2, no stack', async (args, message) => {
    const r = await run(args);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });

  it('report --json: the numbers; report: text, with the chart when asked', async () => {
    const json = await run(['report', '--data-dir', data, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as { readings: number; coveragePercent: number; percentInRange: number; unit: string };
    expect(Math.abs(report.readings - 14 * 288)).toBeLessThanOrEqual(1);
    expect(report.coveragePercent).toBeGreaterThan(99);
    expect(report.unit).toBe('mgdl');
    const text = await run(['report', '--data-dir', data]);
    expect(text.stdout).toMatch(/in range 70–180\s+\d+\.\d%/);
    expect(text.stdout).not.toContain('┤');
    const mmol = await runCli(['report', '--data-dir', data, '--chart'], { cwd, env: { GLUCO_HUB__UNIT: 'mmol' } });
    expect(mmol.stdout).toMatch(/in range 3\.9–10\.0\s+\d+\.\d%/);
    expect(mmol.stdout).toContain('┤');
    expect(mmol.stdout).toContain('band 3.9–10.0 mmol/L');
  });

  it('report on a terminal: the chart comes by default, its band in colour', async () => {
    const r = pty(['report', '--data-dir', data], { cwd });
    expect(await r.exit).toBe(0);
    expect(r.screen()).toMatch(/in range 70–180\s+\d+\.\d%/);
    expect(r.screen()).toContain('band 70–180 mg/dL');
    // asciichart's green.
    expect(r.raw()).toContain('\u001b[32m');
  });

  it('a damaged line: skipped, a counted warning on stderr, exit 0', async () => {
    const day = readdirSync(join(data, 'entries')).sort().at(-2)!;
    appendFileSync(join(data, 'entries', day), 'not json at all\n');
    const r = await run(['export', '--data-dir', data, '--format', 'ndjson']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^\\[EXP008\\] skipped 1 damaged line\\(s\\) .* in entries/${day}`));
    const report = await run(['report', '--data-dir', data, '--json']);
    expect((JSON.parse(report.stdout) as { skippedLines: number }).skippedLines).toBe(1);
  });

  it('export | head: a closed pipe ends it quietly with 141', async () => {
    const child = spawn(process.execPath, [BIN, 'export', '--data-dir', data, '--from', '2000-01-01', '--format', 'json'], { cwd, env: cleanEnv() });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(141);
  });
});

describe('forever with GLUCO_HUB__FILESYSTEM__KEEP_DAYS', () => {
  it('deletes day files older than the days kept at start, with one log line, and keeps the rest', async () => {
    const cwd = tempDir();
    const data = join(cwd, 'data');
    const day = (back: number) => `${new Date(Date.now() - back * 86_400_000).toISOString().slice(0, 10)}.jsonl`;
    mkdirSync(join(data, 'entries'), { recursive: true });
    for (const back of [40, 3, 2]) writeFileSync(join(data, 'entries', day(back)), '');
    const run = forever(cwd, { GLUCO_HUB__FILESYSTEM__DIR: data, GLUCO_HUB__FILESYSTEM__KEEP_DAYS: '2', GLUCO_HUB__LOG__FORMAT: 'json' });
    await run.until((o) => /entries: \d+ new/.test(o.stderr), 30_000);
    expect(await stop(run)).toBe(0);
    const sweeps = run.output().stderr.split('\n').filter((l) => l.includes('filesystem retention'));
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0]).toContain('deleted 2 day file(s)');
    const left = readdirSync(join(data, 'entries'));
    expect(left).not.toContain(day(40));
    expect(left).not.toContain(day(3));
    expect(left).toContain(day(2));
  }, 60_000);
});

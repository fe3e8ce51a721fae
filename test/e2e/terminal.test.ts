import { describe, expect, it } from 'vitest';
import { localClock } from '../../lib/glucose-text.js';
import { runCli, tempDir } from './cli.js';
import { ptyRuns } from './pty.js';

const inPty = ptyRuns();

/** Lines of a pretty log start with the local time; anything else is a continuation of the one before. */
const LOG_LINE = /^\[\d\d:\d\d:\d\d\] /;

describe('forever on a terminal', () => {
  it('says what runs first, then one line per frame with the newest glucose, arrow, local time and age', async () => {
    const tz = 'Asia/Kolkata';
    const run = inPty(['forever'], { cwd: tempDir(), env: { TZ: tz, LANG: 'en_US.UTF-8' } });
    await run.until((s) => s.includes('treatments:'));
    const lines = run.screen().split('\n').filter((l) => l.trim() !== '');
    const banner = lines.findIndex((l) => l.includes('running the built-in simulator'));
    const firstFrame = lines.findIndex((l) => l.includes('entries:'));
    expect(banner, run.screen()).toBeGreaterThanOrEqual(0);
    expect(banner).toBeLessThan(firstFrame);
    // No field on a line of its own: every line is a log line.
    expect(lines.filter((l) => !LOG_LINE.test(l)), run.screen()).toEqual([]);
    const frame = /\[simulator\] entries: 288 new, 0 already stored · (\d+) mg\/dL (\S) · (\d\d:\d\d), (just now|\d+ min ago); next in/.exec(lines[firstFrame]!);
    expect(frame, lines[firstFrame]).not.toBeNull();
    // The reading's time is the local one (TZ), within the last simulator interval.
    const recent = Array.from({ length: 7 }, (_, k) => localClock(Date.now() - k * 60_000, tz));
    expect(recent).toContain(frame![3]);
    expect(await run.interrupt()).toBe(0);
  });

  it('shows mmol/L when GLUCO_HUB__UNIT says so', async () => {
    const run = inPty(['forever'], { cwd: tempDir(), env: { GLUCO_HUB__UNIT: 'mmol' } });
    await run.until((s) => s.includes('entries:'));
    expect(run.screen()).toMatch(/entries: 288 new, 0 already stored · \d+\.\d mmol\/L \S · \d\d:\d\d, /);
    await run.interrupt();
  });
});

describe('check-config', () => {
  it('shows the unit the locale chose, for the status page too', async () => {
    const run = await runCli(['check-config'], { cwd: tempDir(), env: { LANG: 'en_GB.UTF-8' } });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ unit: 'mmol', http: { unit: 'mmol' } });
  });
});

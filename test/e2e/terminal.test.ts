import { describe, expect, it } from 'vitest';
import { localDayAndClock } from '../../lib/glucose-text.js';
import { localClock, localDateTime } from '../../lib/glucose-text.js';
import { runCli, tempDir } from './cli.js';
import { ptyRuns } from './pty.js';
import { fakeSites } from '../fakes/nightscout-sites.js';

const inPty = ptyRuns();
const site = fakeSites();
const UPLOADER = { roles: { uploader: ['api:*:create', 'api:*:update', 'api:*:read'] }, subjects: { 'gluco-hub': ['uploader'] } };

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

describe('a back-fill on a terminal', () => {
  it('shows its progress on one rewritten status line, with log lines above it', async () => {
    // API v3 takes one document a request: a day of 1-minute readings at 15 ms a request takes seconds,
    // in slices of about two seconds, each reported.
    const ns = await site({ ...UPLOADER, latencyMs: 15 });
    const env = { CONNECT_SIMULATOR_INTERVAL: '60', CONNECT_NIGHTSCOUT_ENDPOINT: ns.url, CONNECT_NIGHTSCOUT_TOKEN: ns.token('gluco-hub') };
    const run = inPty(['forever'], { cwd: tempDir(), env });
    await run.until(() => /nightscout: back-filling \[█*░*\] [\d,]+ of [\d,]+ · /.test(run.raw()), 30_000);
    await run.until(() => ns.docs('entries').length >= 1440, 60_000);
    await run.until((s) => s.includes('entries: '), 10_000);
    const raw = run.raw();
    // Each redraw starts by clearing the line it replaces.
    expect(raw).toContain('\r\u001b[Knightscout: back-filling ');
    // A log line written meanwhile starts on a cleared line, never after the bar.
    expect(raw).not.toMatch(/left\[\d\d:\d\d:\d\d\]/);
    // Once all is delivered the status line is cleared: the last thing on screen is a log line.
    await run.until((s) => !(s.trimEnd().split('\n').at(-1) ?? '').includes('back-filling'), 30_000);
    expect(await run.interrupt()).toBe(0);
  }, 90_000);
});

describe('a slow source fetch on a terminal', () => {
  it('shows what is being fetched and for how long on the status line, then clears it', async () => {
    // Every request of the source site takes 2.5 s: the first back-fill of 30 days runs for seconds.
    const source = await site({ roles: { reader: ['api:*:read'] }, subjects: { follower: ['reader'] }, latencyMs: 2_500 });
    const newest = Date.now() - 5 * 60_000;
    for (let i = 0; i < 12; i += 1) {
      const date = newest - i * 5 * 60_000;
      source.seed('entries', { type: 'sgv', sgv: 100 + i, direction: 'Flat', date, dateString: new Date(date).toISOString(), device: 'xDrip-DexcomG6' });
    }
    const tz = 'Asia/Kolkata';
    const since = [0, 1, 2].map((m) => localDayAndClock(Date.now() - 30 * 24 * 3600_000 + m * 60_000, tz));
    const env = { TZ: tz, CONNECT_SOURCE: 'nightscout', CONNECT_SOURCE_ENDPOINT: source.url, CONNECT_SOURCE_TOKEN: source.token('follower') };
    const run = inPty(['forever'], { cwd: tempDir(), env });
    const status = /nightscout entries: fetching 30 days of history \(since (\d+ \w{3} \d\d:\d\d)\) · (\d+) s/;
    await run.until(() => status.test(run.raw()), 30_000);
    const shown = status.exec(run.raw())!;
    expect(since).toContain(shown[1]);
    expect(Number(shown[2])).toBeGreaterThanOrEqual(2);
    // Drawn on the status line, each redraw clearing the one before.
    expect(run.raw()).toContain('\r\u001b[Knightscout entries: fetching 30 days of history');
    await run.until((s) => ['entries', 'treatments', 'devicestatus'].every((loop) => s.includes(`[nightscout] ${loop}: `)), 60_000);
    expect(run.screen()).toContain('[nightscout] entries: 12 new');
    // Every fetch has answered: the status line is cleared, the last thing on screen is a log line.
    await run.until((s) => LOG_LINE.test(s.trimEnd().split('\n').at(-1) ?? ''), 10_000);
    expect(run.screen().trimEnd().split('\n').at(-1)).not.toContain('fetching');
    expect(await run.interrupt()).toBe(0);
  }, 90_000);
});

describe('capture on a terminal', () => {
  it('draws the readings over the 70–180 band above the table, with local times', async () => {
    const run = inPty(['capture'], { cwd: tempDir(), env: { TZ: 'America/New_York', LANG: 'en_US.UTF-8' } });
    expect(await run.exit, run.screen()).toBe(0);
    const screen = run.screen();
    const chartAt = screen.search(/^\s+180 ┼/m);
    expect(chartAt, screen).toBeGreaterThan(0);
    expect(screen).toMatch(/^\s+70 ┼/m);
    expect(screen).toMatch(/[╭╮╰╯]/);
    expect(screen).toContain('band 70–180 mg/dL');
    expect(chartAt).toBeLessThan(screen.indexOf('newest 12 entries'));
    expect(screen).toContain('(times in America/New_York)');
    // The newest row is the local time of a reading from the last few minutes.
    const rows = [...screen.matchAll(/^ {2}(\d{4}-\d\d-\d\d \d\d:\d\d) +\d+ mg\/dL/gm)].map((m) => m[1]);
    const recent = Array.from({ length: 7 }, (_, k) => localDateTime(Date.now() - k * 60_000, 'America/New_York'));
    expect(recent).toContain(rows.at(-1));
  });

  it('shows both units where asked, in the chart and the table', async () => {
    const run = inPty(['capture', '--units', 'both'], { cwd: tempDir() });
    expect(await run.exit, run.screen()).toBe(0);
    expect(run.screen()).toMatch(/^\s+180 \(10\.0\) ┼/m);
    expect(run.screen()).toMatch(/^ {2}\S+ \S+ +\d+ mg\/dL \(\d+\.\d mmol\/L\)/m);
  });

  it('draws no chart into a pipe unless --chart asks, and leaves --json as it was', async () => {
    const cwd = tempDir();
    const piped = await runCli(['capture'], { cwd });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toContain('newest 12 entries');
    expect(piped.stdout).not.toMatch(/[┤┼]/);
    const asked = await runCli(['capture', '--chart', '--units', 'mmol'], { cwd });
    expect(asked.stdout).toMatch(/^\s+10\.0 ┼/m);
    expect(asked.stdout).not.toContain('\u001b[');
    const json = inPty(['capture', '--json'], { cwd });
    expect(await json.exit).toBe(0);
    expect(json.screen()).not.toMatch(/[┤┼]/);
    expect(() => JSON.parse(json.screen().slice(json.screen().indexOf('['))) as unknown).not.toThrow();
  });
});

describe('check-config', () => {
  it('shows the unit the locale chose, for the status page too', async () => {
    const run = await runCli(['check-config'], { cwd: tempDir(), env: { LANG: 'en_GB.UTF-8' } });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ unit: 'mmol', http: { unit: 'mmol' } });
  });
});

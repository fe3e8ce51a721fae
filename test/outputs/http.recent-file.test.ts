import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStateStore } from '../../lib/state-store.js';
import { createRecentReadings } from '../../outputs/http/cache/recent-file.js';
import { COMPACT_SLACK_LINES } from '../../outputs/http/cache/recent-ring.js';
import { tempDir } from '../e2e/cli.js';
import { entry, MINUTE, transformed } from '../fakes/bridge-events.js';
import { captureLog } from '../fakes/capture-log.js';
import { faultyDisk, type FaultyDisk } from '../fakes/faulty-disk.js';

const T0 = Date.UTC(2025, 0, 1, 12);

function capturingLog() {
  const captured = captureLog();
  const warnings = () => captured.lines().filter((l) => l.level === 40) as { level: number; msg: string }[];
  return { log: captured.log, warnings };
}

function setup(dir = tempDir(), disk?: FaultyDisk) {
  const clock = { now: T0 };
  const { log, warnings } = capturingLog();
  const state = createStateStore(dir, log, disk ? { disk } : {});
  const recent = createRecentReadings([{ id: 'sim', source: 'simulator', state, log }], () => clock.now);
  return { dir, file: join(dir, 'recent-readings.jsonl'), clock, recent, warnings };
}

const fileLines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');

describe('recent readings in the state folder', () => {
  it('a missing file is a cold start, and creates nothing', async () => {
    const { recent, file } = setup();
    expect(await recent.restore()).toEqual([]);
    await recent.flush();
    expect(existsSync(file)).toBe(false);
  });

  it('the next run restores what this one saw, as readings of the bridge', async () => {
    const first = setup();
    await first.recent.restore();
    first.recent.observe(transformed([entry(T0 - 10 * MINUTE, 100), entry(T0 - 5 * MINUTE, 110, 'FortyFiveUp')]));
    first.recent.observe(transformed([entry(T0, 120)]));
    await first.recent.flush();
    expect(statSync(first.file).mode & 0o777).toBe(0o600);

    const second = setup(first.dir);
    second.clock.now = T0 + MINUTE;
    const restored = await second.recent.restore();
    expect(restored.map((r) => [r.sgv, r.direction, r.bridge, r.source])).toEqual([
      [100, 'Flat', 'sim', 'simulator'],
      [110, 'FortyFiveUp', 'sim', 'simulator'],
      [120, 'Flat', 'sim', 'simulator'],
    ]);
  });

  it('appends a line per new reading without rewriting the file, and ignores what is not news', async () => {
    const { recent, file } = setup();
    await recent.restore();
    recent.observe(transformed([entry(T0 - MINUTE, 100)]));
    await recent.flush();
    const inode = statSync(file).ino;
    recent.observe(transformed([entry(T0 - MINUTE, 100), entry(T0, 110)]));
    recent.observe(transformed([entry(T0, 110)], 'other-bridge'));
    recent.observe(transformed([{ ...entry(T0, 0), type: 'mbg', sgv: undefined, mbg: 99 }]));
    await recent.flush();
    expect(statSync(file).ino).toBe(inode);
    expect(fileLines(file).map((l) => (JSON.parse(l) as { sgv: number }).sgv)).toEqual([100, 110]);
  });

  it('a torn last line (a crash mid-append) loses only itself; the first write after start rewrites the file clean', async () => {
    const dir = tempDir();
    const good = [100, 105, 110].map((sgv, i) => JSON.stringify({ date: T0 - (3 - i) * MINUTE, sgv, device: 'd', source: 'simulator' }));
    writeFileSync(join(dir, 'recent-readings.jsonl'), `${good.join('\n')}\n{"date":${T0},"sg`);
    const { recent, file, warnings } = setup(dir);
    expect((await recent.restore()).map((r) => r.sgv)).toEqual([100, 105, 110]);
    expect(warnings().length).toBe(1);
    recent.observe(transformed([entry(T0, 120)]));
    await recent.flush();
    expect(fileLines(file).map((l) => (JSON.parse(l) as { sgv: number }).sgv)).toEqual([100, 105, 110, 120]);
  });

  it('does not restore readings older than 24 h or from the future, and drops them from the file', async () => {
    const dir = tempDir();
    const lines = [T0 - 25 * 60 * MINUTE, T0 - MINUTE, T0 + 60 * MINUTE].map((date) => JSON.stringify({ date, sgv: 100, device: 'd', source: 'simulator' }));
    writeFileSync(join(dir, 'recent-readings.jsonl'), `${lines.join('\n')}\n`);
    const { recent, file } = setup(dir);
    expect((await recent.restore()).map((r) => r.date)).toEqual([T0 - MINUTE]);
    await recent.flush();
    // Start-up itself writes nothing (a port clash or a bad bridge costs no write).
    expect(fileLines(file)).toEqual(lines);
    recent.observe(transformed([entry(T0, 120)]));
    await recent.flush();
    expect(fileLines(file).map((l) => (JSON.parse(l) as { date: number }).date)).toEqual([T0 - MINUTE, T0]);
  });

  it('a file it cannot read is a cold start with one warning, and is replaced at the first write', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'recent-readings.jsonl'), 'not what was written\n');
    const disk = faultyDisk();
    disk.fail({ op: 'readFile', code: 'EACCES', times: 1 });
    const { recent, file, warnings } = setup(dir, disk);
    expect(await recent.restore()).toEqual([]);
    expect(warnings().map((w) => w.msg)).toEqual([expect.stringMatching(/could not read the recent readings/)]);
    recent.observe(transformed([entry(T0, 120)]));
    await recent.flush();
    expect(fileLines(file).map((l) => (JSON.parse(l) as { sgv: number }).sgv)).toEqual([120]);
  });

  it('stays bounded over days: rewritten once it holds about twice what it keeps', async () => {
    const { recent, file, clock } = setup();
    await recent.restore();
    let largest = 0;
    for (let i = 0; i < 3 * 288; i += 1) {
      clock.now = T0 + i * 5 * MINUTE;
      recent.observe(transformed([entry(clock.now, 100 + (i % 80))]));
      await recent.flush();
      largest = Math.max(largest, fileLines(file).length);
    }
    expect(largest).toBeLessThanOrEqual(2 * 289 + COMPACT_SLACK_LINES + 1);
    expect(largest).toBeGreaterThan(289);
    const dates = fileLines(file).map((l) => (JSON.parse(l) as { date: number }).date);
    expect(new Set(dates).size).toBe(dates.length);
  });

  it('a failed write warns once and leaves the bridge running; the next write after it rewrites the file whole', async () => {
    const disk = faultyDisk();
    const { recent, file, warnings } = setup(tempDir(), disk);
    await recent.restore();
    recent.observe(transformed([entry(T0 - 2 * MINUTE, 100)]));
    await recent.flush();
    disk.fail({ op: 'write', code: 'ENOSPC', partial: 5 });
    recent.observe(transformed([entry(T0 - MINUTE, 105)]));
    recent.observe(transformed([entry(T0, 110)]));
    await recent.flush();
    expect(warnings().map((w) => w.msg)).toEqual([expect.stringMatching(/could not save the recent readings/)]);
    disk.heal();
    recent.observe(transformed([entry(T0 + MINUTE, 115)]));
    await recent.flush();
    expect(fileLines(file).map((l) => (JSON.parse(l) as { sgv: number }).sgv)).toEqual([100, 105, 110, 115]);
  });
});

describe('recent readings of a bridge started later (a person a follower account began to follow)', () => {
  it('keeps its readings from when it is added, and the next run restores them when it is added again', async () => {
    const dir = tempDir();
    const { log } = capturingLog();
    const state = createStateStore(dir, log);
    const person = { id: 'sim', source: 'simulator', state, log };
    const first = createRecentReadings([], () => T0);
    expect(await first.restore()).toEqual([]);
    // Not known yet: nothing is kept.
    first.observe(transformed([entry(T0 - 10 * MINUTE, 90)]));
    expect(await first.add!(person)).toEqual([]);
    first.observe(transformed([entry(T0 - 5 * MINUTE, 100)]));
    await first.flush();

    const second = createRecentReadings([], () => T0 + MINUTE);
    expect(await second.restore()).toEqual([]);
    expect((await second.add!(person)).map((r) => [r.sgv, r.bridge])).toEqual([[100, 'sim']]);
    // Added twice: the same ring, not a second read of the file.
    expect((await second.add!(person)).map((r) => r.sgv)).toEqual([100]);
  });
});

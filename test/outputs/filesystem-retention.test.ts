import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { ConfigError } from '../../lib/errors.js';
import { createFilesystemOutput } from '../../outputs/filesystem/index.js';
import { createOutputs } from '../../outputs/registry.js';
import { expiredDayFiles, SWEEP_INTERVAL_MS } from '../../outputs/filesystem/retention.js';
import { captureLog } from '../fakes/capture-log.js';
import { faultyDisk } from '../fakes/faulty-disk.js';

const DAY = 24 * 60 * 60_000;
/** 2026-12-07 10:00 UTC. */
const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);

const dayName = (ms: number) => `${new Date(ms).toISOString().slice(0, 10)}.jsonl`;

describe('filesystem retention (keepDays)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gluco-hub-retention-'));
  });
  afterEach(async () => {
    vi.useRealTimers();
    await rm(dir, { recursive: true, force: true });
  });

  /** Day files for each of `daysBack` (0 = today, -1 = tomorrow) in every collection. */
  async function seed(daysBack: readonly number[]): Promise<void> {
    for (const collection of ['entries', 'treatments']) {
      await mkdir(path.join(dir, collection), { recursive: true });
      for (const back of daysBack) await writeFile(path.join(dir, collection, dayName(NOW - back * DAY)), '{"date":1}\n');
      await writeFile(path.join(dir, collection, 'notes.txt'), 'not a day file');
    }
  }

  it('keeps today and the keepDays days before it, never a newer file, and leaves other files alone', () => {
    const names = [-1, 0, 1, 2, 3, 4, 30].map((b) => dayName(NOW - b * DAY)).concat(['notes.txt', '2026-1-1.jsonl']);
    expect(expiredDayFiles(names, NOW, 2)).toEqual([dayName(NOW - 3 * DAY), dayName(NOW - 4 * DAY), dayName(NOW - 30 * DAY)]);
    expect(expiredDayFiles(names, NOW, 1)).toEqual([2, 3, 4, 30].map((b) => dayName(NOW - b * DAY)));
    // Just after midnight UTC, yesterday is still kept with keepDays 1.
    expect(expiredDayFiles([dayName(NOW - DAY)], Date.UTC(2026, 11, 7, 0, 0, 1), 1)).toEqual([]);
  });

  it('sweeps once at start and once a day after, one log line per sweep', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    await seed([-1, 0, 1, 2, 3, 10]);
    let now = NOW;
    const captured = captureLog();
    const { log } = captured;
    const lines = () => captured.lines();
    const output = createFilesystemOutput({ dir, keepDays: 2 }, { now: () => now, log });
    await output.start();
    const expected = (back: number[]) => back.map((b) => dayName(NOW - b * DAY)).concat('notes.txt').sort();
    expect((await readdir(path.join(dir, 'entries'))).sort()).toEqual(expected([-1, 0, 1, 2]));
    expect((await readdir(path.join(dir, 'treatments'))).sort()).toEqual(expected([-1, 0, 1, 2]));
    const sweeps = () => lines().filter((l) => String(l.msg).startsWith('filesystem retention'));
    expect(sweeps()).toHaveLength(1);
    expect(sweeps()[0]).toMatchObject({ deleted: 4, keepDays: 2 });
    expect(String(sweeps()[0]?.msg)).toContain('before 2026-12-05');

    now += DAY;
    await vi.advanceTimersByTimeAsync(SWEEP_INTERVAL_MS);
    await output.store({ entries: [], treatments: [], devicestatus: [] }, new AbortController().signal);
    expect((await readdir(path.join(dir, 'entries'))).sort()).toEqual(expected([-1, 0, 1]));
    expect(sweeps()).toHaveLength(2);
    expect(sweeps()[1]).toMatchObject({ deleted: 2 });
    await output.stop();
    now += DAY;
    await vi.advanceTimersByTimeAsync(SWEEP_INTERVAL_MS);
    expect(sweeps()).toHaveLength(2);
  });

  it('deletes nothing without keepDays', async () => {
    await seed([0, 400]);
    const captured = captureLog();
    const { log } = captured;
    const lines = () => captured.lines();
    const output = createFilesystemOutput({ dir }, { now: () => NOW, log });
    await output.start();
    await output.stop();
    expect(await readdir(path.join(dir, 'entries'))).toContain(dayName(NOW - 400 * DAY));
    expect(lines().filter((l) => String(l.msg).startsWith('filesystem retention'))).toEqual([]);
  });

  it('a file it cannot delete is a coded warning, and storing goes on', async () => {
    await seed([0, 5, 6]);
    const disk = faultyDisk();
    disk.fail({ op: 'unlink', code: 'EACCES', path: /entries/ });
    const captured = captureLog();
    const { log } = captured;
    const lines = () => captured.lines();
    const output = createFilesystemOutput({ dir, keepDays: 1 }, { now: () => NOW, log, disk });
    await output.start();
    const warning = lines().find((l) => l.code === 'FS005');
    expect(String(warning?.msg)).toMatch(/^\[FS005\] could not delete 2 expired day file\(s\).*entries\/.*EACCES/);
    expect(await readdir(path.join(dir, 'treatments'))).toEqual(['notes.txt', dayName(NOW)].sort());
    await output.stop();
  });

  it('GLUCO_HUB__FILESYSTEM__KEEP_DAYS: a positive whole number, else a coded configuration error', () => {
    const load = (value: string) => loadConfig({ env: { GLUCO_HUB__FILESYSTEM__KEEP_DAYS: value }, cwd: dir });
    expect(load('30').bridges[0]?.filesystem?.keepDays).toBe(30);
    expect(loadConfig({ env: {}, cwd: dir }).bridges[0]?.filesystem?.keepDays).toBeUndefined();
    for (const bad of ['0', '-3', '1.5', 'forever', 'ten']) {
      let error: unknown;
      try {
        load(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^\[CFG006\] invalid filesystem\.keepDays: must be a whole number of days, 1 or more.*GLUCO_HUB__FILESYSTEM__KEEP_DAYS/);
    }
  });

  it('a bridge configured with keepDays (environment or config file) gets a filesystem output that sweeps', async () => {
    await seed([0, 9]);
    const file = path.join(dir, 'hub.yaml');
    await writeFile(file, `filesystem:\n  dir: ${dir}\n  keepDays: 3\n`);
    const fromFile = loadConfig({ env: {}, cli: { config: file }, cwd: dir });
    expect(fromFile.bridges[0]?.filesystem?.keepDays).toBe(3);
    const captured = captureLog();
    const [output] = await createOutputs(fromFile.bridges[0]!, { now: () => NOW, log: captured.log });
    await output!.start();
    await output!.stop();
    expect((await readdir(path.join(dir, 'entries'))).sort()).toEqual([dayName(NOW), 'notes.txt']);
    expect(captured.lines().some((l) => l.output === 'filesystem' && String(l.msg).includes('deleted 2 day file(s)'))).toBe(true);
  });
});

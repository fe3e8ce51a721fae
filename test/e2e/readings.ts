import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { syncIdentifier } from '../../lib/identity.js';
import type { FakeNightscout } from '../fakes/nightscout-server.js';

/** What end-to-end suites read back: the CLI's JSON log lines and the readings an output holds. */

export interface LogLine {
  level: number;
  msg: string;
  loop?: string;
  outcome?: string;
  output?: string;
}

export function logLines(stderr: string): LogLine[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

export const framesDone = (stderr: string): number => logLines(stderr).filter((l) => l.loop === 'entries' && l.outcome === 'success').length;

/** One reading a minute ago, as an earlier run would have left it, so a 1–2 s simulator back-fills only from there. */
export function seedEarlierRun(ns: FakeNightscout): number {
  const date = Date.now() - 60_000;
  ns.seed('entries', { type: 'sgv', sgv: 120, date, dateString: new Date(date).toISOString(), device: 'gluco-hub-simulator', app: 'gluco-hub', utcOffset: 0 });
  ns.seed('treatments', { eventType: 'Note', notes: 'earlier', date, created_at: new Date(date).toISOString(), device: 'gluco-hub-simulator', app: 'gluco-hub', utcOffset: 0 });
  return date;
}

/** The same earlier reading in a filesystem output's directory. */
export function seedEarlierFile(dir: string, date: number): void {
  const device = 'gluco-hub-simulator';
  const doc = { type: 'sgv', sgv: 120, date, dateString: new Date(date).toISOString(), device, app: 'gluco-hub', utcOffset: 0, identifier: syncIdentifier({ device, date }) };
  mkdirSync(join(dir, 'entries'), { recursive: true });
  writeFileSync(join(dir, 'entries', `${new Date(date).toISOString().slice(0, 10)}.jsonl`), `${JSON.stringify(doc)}\n`);
}

/** Entry dates in a filesystem output's directory, every line of every day file. */
export function fileEntryDates(dir: string): number[] {
  const base = join(dir, 'entries');
  return readdirSync(base).flatMap((f) =>
    readFileSync(join(base, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { date: number }).date),
  );
}

/** Every simulator reading after `since` is there once, `intervalMs` apart, with no gap. */
export function expectEveryReadingOnce(dates: readonly number[], since: number, intervalMs: number, atLeast: number): void {
  const after = dates.filter((d) => d > since);
  const sorted = [...after].sort((a, b) => a - b);
  expect(new Set(sorted).size, 'a reading is stored twice').toBe(sorted.length);
  expect(sorted.length).toBeGreaterThanOrEqual(atLeast);
  expect(sorted[0]! - since, 'readings right after the earlier run are missing').toBeLessThanOrEqual(intervalMs);
  const gaps = sorted.slice(1).filter((d, i) => d - sorted[i]! !== intervalMs);
  expect(gaps, 'readings are missing').toEqual([]);
}

export function nightscoutEntryDates(ns: FakeNightscout): number[] {
  return ns.docs('entries').map((d) => d.date as number);
}

/** Every document the filesystem output holds for `collection` under `dataDir`, in file order. */
export function storedDocuments<T>(dataDir: string, collection: string): T[] {
  const base = join(dataDir, collection);
  if (!existsSync(base)) return [];
  return readdirSync(base).flatMap((f) =>
    readFileSync(join(base, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as T),
  );
}

/** Every file below `dir` (state files, output files), for mode and content checks. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));
}

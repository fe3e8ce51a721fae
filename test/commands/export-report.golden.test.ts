import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeExport, type ExportJob } from '../../commands/export-run.js';
import { formatReport } from '../../commands/report-print.js';
import { buildReport } from '../../commands/report-run.js';
import { simulatedArchive } from '../fakes/simulated-archive.js';

/**
 * Golden files for `export` and `report` on the simulator's seed 7, written by the real filesystem
 * output. After a deliberate change to the simulator or the formats, regenerate them with
 *
 *   GLUCO_HUB_UPDATE_GOLDEN=1 npx vitest run test/commands/export-report.golden.test.ts
 *
 * and read the diff before committing it.
 */

const GOLDEN = path.join(import.meta.dirname, '..', 'fixtures', 'export-report');
const UPDATE = process.env.GLUCO_HUB_UPDATE_GOLDEN === '1';
/** 2026-11-30 12:00 UTC. */
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const ZONE = 'Europe/Berlin';

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) throw new Error(`no golden file ${name}: run with GLUCO_HUB_UPDATE_GOLDEN=1 to write it`);
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

function collector(): { out: Writable; text: () => string } {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { out, text: () => chunks.join('') };
}

async function exported(job: ExportJob): Promise<{ text: string; rows: number; damaged: number }> {
  const { out, text } = collector();
  const result = await writeExport(job, out);
  return { text: text(), rows: result.rows, damaged: result.damaged.count };
}

describe('export and report on a fixed simulator seed (golden files)', () => {
  let dir: string;
  // Twelve hours across a UTC midnight: two day files, one export.
  const span = { fromMs: Date.parse('2026-11-28T18:00:00Z'), toMs: Date.parse('2026-11-29T06:00:00Z') };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gluco-hub-golden-'));
    await simulatedArchive(dir, { seed: 7, nowMs: NOW, days: 16 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('CSV: a header, then local time, UTC, mg/dL, mmol/L, trend and device per reading, oldest first, both bounds included', async () => {
    const { text, rows } = await exported({ dir, ...span, format: 'csv', timeZone: ZONE });
    golden('export.csv', text);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('local_time,utc,mgdl,mmol,trend,device');
    // A reading every 5 minutes over 12 h.
    expect(rows).toBe(144);
    expect(lines[1]).toMatch(/^2026-11-28 19:0\d:\d\d,2026-11-28T18:0\d:\d\d\.000Z,\d+,\d+\.\d,[A-Za-z]+,gluco-hub-simulator$/);
  });

  it('both bounds are inclusive: a reading exactly on --from or --to is in', async () => {
    const first = (await exported({ dir, ...span, format: 'ndjson' })).text.split('\n')[0]!;
    const at = Date.parse((JSON.parse(first) as { utc: string }).utc);
    expect((await exported({ dir, fromMs: at, toMs: at, format: 'ndjson' })).rows).toBe(1);
    expect((await exported({ dir, fromMs: at + 1, toMs: at + 299_999, format: 'ndjson' })).rows).toBe(0);
    expect((await exported({ dir, fromMs: at - 299_999, toMs: at + 300_000, format: 'ndjson' })).rows).toBe(2);
  });

  it('JSON and NDJSON: the same rows', async () => {
    const json = await exported({ dir, ...span, format: 'json', timeZone: ZONE });
    const ndjson = await exported({ dir, ...span, format: 'ndjson', timeZone: ZONE });
    golden('export.json', json.text);
    golden('export.ndjson', ndjson.text);
    const fromJson = JSON.parse(json.text) as unknown[];
    expect(fromJson).toHaveLength(144);
    expect(ndjson.text.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(fromJson);
  });

  it('report: the 14-day numbers as JSON and as text', async () => {
    const { report } = await buildReport({ bridge: 'simulator', dir, days: 14, nowMs: NOW, unit: 'mgdl' });
    golden('report.json', `${JSON.stringify(report, null, 2)}\n`);
    golden('report.txt', `${formatReport(report, ZONE)}\n`);
    expect(report.readings).toBe(14 * 288);
    expect(report.coveragePercent).toBe(100);
    expect(report.sufficient).toBe(true);
    const bands = (report.percentBelow70 ?? 0) + (report.percentInRange ?? 0) + (report.percentAbove180 ?? 0);
    expect(bands).toBeCloseTo(100, 0);
    expect(report.gmiPercent).toBeCloseTo(3.31 + 0.02392 * (report.mean?.mgdl ?? 0), 1);
    const mmol = await buildReport({ bridge: 'simulator', dir, days: 14, nowMs: NOW, unit: 'mmol' });
    golden('report-mmol.txt', `${formatReport(mmol.report, ZONE)}\n`);
  });

  it('an empty span is an empty export and a report of no readings, not an error', async () => {
    const empty = { fromMs: Date.parse('2020-01-01T00:00:00Z'), toMs: Date.parse('2020-01-02T00:00:00Z') };
    expect((await exported({ dir, ...empty, format: 'csv' })).text).toBe('local_time,utc,mgdl,mmol,trend,device\r\n');
    expect((await exported({ dir, ...empty, format: 'json' })).text).toBe('[]\n');
    expect((await exported({ dir, ...empty, format: 'ndjson' })).text).toBe('');
    const { report } = await buildReport({ bridge: 'simulator', dir, days: 3, nowMs: Date.parse('2020-01-02T00:00:00Z'), unit: 'mgdl' });
    expect(report).toMatchObject({ readings: 0, mean: null, gmiPercent: null, percentInRange: null, coveragePercent: 0, sufficient: false });
    expect(formatReport(report, 'UTC')).toContain('no readings in this span');
  });

  it('a damaged line is skipped and counted, a torn last line (a write in progress) is left out quietly', async () => {
    const file = path.join(dir, 'entries', '2026-11-29.jsonl');
    const before = await readFile(file, 'utf8');
    const clean = await exported({ dir, ...span, format: 'ndjson' });
    await appendFile(file, '{"date": 17646\n[1,2]\n{"type":"sgv","sgv":"high","date":1764400000000}\n{"type":"sgv","sgv":120,"da');
    const damaged = await exported({ dir, ...span, format: 'ndjson' });
    expect(damaged.damaged).toBe(3);
    expect(damaged.text).toBe(clean.text);
    const { report } = await buildReport({ bridge: 'simulator', dir, days: 14, nowMs: NOW, unit: 'mgdl' });
    expect(report.skippedLines).toBe(3);
    expect(report.readings).toBe(14 * 288);
    writeFileSync(file, before);
  });
});

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bridgeLogger } from '../../lib/bridge-log.js';
import { createLogger } from '../../lib/logger.js';
import type { StoreResult } from '../../outputs/types.js';

function capture() {
  const lines: { level: number; msg: string; rejected?: number }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { lines, log: createLogger({ level: 'info', format: 'json', destination }) };
}

function frame(results: StoreResult[]) {
  const { lines, log } = capture();
  const toLog = bridgeLogger(log);
  for (const [i, result] of results.entries()) toLog({ type: 'frame.stored', bridgeId: 'b', loop: 'cgm', output: `out${i}`, result });
  toLog({ type: 'frame.done', bridgeId: 'b', loop: 'cgm', result: { outcome: 'success', fetched: 5 } });
  return lines.at(-1)!;
}

describe('the frame summary line', () => {
  it('says nothing about rejected documents when there are none', () => {
    const line = frame([{ stored: 3, duplicates: 2 }]);
    expect(line.msg).toBe('cgm: 3 new, 2 already stored');
    expect(line.rejected).toBeUndefined();
    expect(line.level).toBe(30);
  });

  it('counts rejected documents across outputs and warns', () => {
    const line = frame([
      { stored: 3, duplicates: 1, rejected: 1 },
      { stored: 4, duplicates: 0 },
    ]);
    expect(line.msg).toBe('cgm: 7 new, 1 already stored, 1 rejected');
    expect(line.rejected).toBe(1);
    expect(line.level).toBe(40);
  });
});

describe('documents from the future', () => {
  it('warns once per document with DLQ004, its collection and its date, however often the vendor repeats it', () => {
    const { lines, log } = capture();
    const toLog = bridgeLogger(log);
    const now = Date.UTC(2026, 11, 6, 12);
    const ahead = now + 30 * 24 * 3600_000;
    const doc = { date: ahead, device: 'phone', identifier: '00000000-0000-5000-8000-000000000001', type: 'sgv' as const, dateString: new Date(ahead).toISOString() };
    for (let i = 0; i < 3; i += 1) toLog({ type: 'frame.future', bridgeId: 'b', loop: 'entries', documents: [{ collection: 'entries', doc }], nowMs: now });
    const warned = lines.filter((l) => l.msg.startsWith('[DLQ004]'));
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toBe('[DLQ004] entries: the source sent a document in entries dated 2027-01-05T12:00:00.000Z (30 d ahead); no output stores it before its time, and none counts it as newest');
    expect(warned[0]!.level).toBe(40);
  });
});

describe('the frame line for a person at a terminal', () => {
  const t0 = Date.UTC(2024, 4, 1, 12, 5);
  const entry = (minutes: number, sgv: number, direction: 'Flat' | 'SingleUp') => ({
    date: t0 + minutes * 60_000,
    dateString: new Date(t0 + minutes * 60_000).toISOString(),
    device: 'sim',
    identifier: `id-${minutes}`,
    type: 'sgv' as const,
    sgv,
    direction,
  });
  const batch = (entries: ReturnType<typeof entry>[]) => ({ entries, treatments: [], devicestatus: [] });

  it('ends with the newest glucose, arrow, local time and age, and keeps it through a frame of duplicates', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      const { lines, log } = capture();
      let now = t0 + 8 * 60_000;
      const toLog = bridgeLogger(log, { terminal: { unit: 'mgdl', now: () => now, progress: () => undefined } });
      toLog({ type: 'frame.transformed', bridgeId: 'b', loop: 'entries', batch: batch([entry(5, 162, 'Flat'), entry(0, 150, 'SingleUp')]) });
      toLog({ type: 'frame.stored', bridgeId: 'b', loop: 'entries', output: 'fs', result: { stored: 2, duplicates: 0 } });
      toLog({ type: 'frame.done', bridgeId: 'b', loop: 'entries', result: { outcome: 'success', fetched: 2 }, nextInMs: 60_000 });
      expect(lines.at(-1)!.msg).toBe('entries: 2 new, 0 already stored · 162 mg/dL → · 17:40, 3 min ago; next in 1m');
      now += 5 * 60_000;
      toLog({ type: 'frame.transformed', bridgeId: 'b', loop: 'entries', batch: batch([]) });
      toLog({ type: 'frame.done', bridgeId: 'b', loop: 'entries', result: { outcome: 'success', fetched: 0 } });
      expect(lines.at(-1)!.msg).toBe('entries: 0 new, 0 already stored · 162 mg/dL → · 17:40, 8 min ago');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('is in mmol/L when that is the unit, and absent from machine logs', () => {
    for (const [glucose, expected] of [
      [{ unit: 'mmol' as const, now: () => t0, progress: () => undefined }, /^entries: 1 new, 0 already stored · 9\.0 mmol\/L → · \d\d:\d\d, just now$/],
      [undefined, /^entries: 1 new, 0 already stored$/],
    ] as const) {
      const { lines, log } = capture();
      const toLog = bridgeLogger(log, glucose ? { terminal: glucose } : {});
      toLog({ type: 'frame.transformed', bridgeId: 'b', loop: 'entries', batch: batch([entry(0, 162, 'Flat')]) });
      toLog({ type: 'frame.stored', bridgeId: 'b', loop: 'entries', output: 'fs', result: { stored: 1, duplicates: 0 } });
      toLog({ type: 'frame.done', bridgeId: 'b', loop: 'entries', result: { outcome: 'success', fetched: 1 } });
      expect(lines.at(-1)!.msg).toMatch(expected);
    }
  });
});

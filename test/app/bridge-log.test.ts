import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bridgeLogger } from '../../app/bridge-log.js';
import { createLogger } from '../../lib/logger.js';
import type { StoreResult } from '../../lib/contracts/output.js';
import type { BridgeEvent } from '../../lib/contracts/bridge-events.js';

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

describe('a long fetch', () => {
  const DAY = 24 * 3600_000;
  // 5 Dec 2025, 10:00 in Berlin; the window goes back 14 days, to 21 Nov 10:00.
  const T = Date.UTC(2025, 11, 5, 9);
  const window = { fromMs: T - 14 * DAY, toMs: T };
  const fetching: BridgeEvent = { type: 'frame.fetching', bridgeId: 'glooko', loop: 'cgm', window, startedMs: T };
  const fetched: BridgeEvent = { type: 'frame.fetched', bridgeId: 'glooko', loop: 'cgm', window, raw: [] };
  const LINE = 'glooko cgm: fetching 14 days of history (since 21 Nov 10:00)';
  const tz = process.env.TZ;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T);
    process.env.TZ = 'Europe/Berlin';
  });
  afterEach(() => {
    vi.useRealTimers();
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  function onTerminal() {
    const { lines, log } = capture();
    const shown: [string, string | undefined][] = [];
    const toLog = bridgeLogger(log, { terminal: { unit: 'mgdl', now: () => Date.now(), progress: (key, text) => shown.push([key, text]) } });
    return { lines, shown, toLog };
  }

  it('shows on a terminal after two seconds, counts the seconds, and goes when the vendor answers', async () => {
    const { lines, shown, toLog } = onTerminal();
    toLog(fetching);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(shown).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(shown).toEqual([['glooko/fetch/cgm', `${LINE} · 2 s`]]);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(shown.map(([, text]) => text)).toEqual([2, 3, 4, 5, 6].map((s) => `${LINE} · ${s} s`));
    toLog(fetched);
    expect(shown.at(-1)).toEqual(['glooko/fetch/cgm', undefined]);
    // The timer went with the line: nothing more is drawn, and nothing keeps ticking.
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(shown).toHaveLength(6);
    // The status line said it all: no summary line on a terminal.
    expect(lines).toEqual([]);
  });

  it('goes when the attempt fails, when the frame ends, and when the bridge stops', async () => {
    const endings: ((toLog: ReturnType<typeof bridgeLogger>) => void)[] = [
      (toLog) => toLog({ type: 'frame.attemptFailed', bridgeId: 'glooko', loop: 'cgm', attempt: 1, error: new Error('timeout'), retryInMs: 5_000 }),
      (toLog) => toLog({ type: 'frame.done', bridgeId: 'glooko', loop: 'cgm', result: { outcome: 'failed', fetched: 0 } }),
      (toLog) => toLog.stop(),
    ];
    for (const end of endings) {
      const { shown, toLog } = onTerminal();
      toLog({ ...fetching, startedMs: Date.now() });
      await vi.advanceTimersByTimeAsync(3_000);
      expect(shown.at(-1)?.[1]).toMatch(/ · 3 s$/);
      end(toLog);
      expect(shown.at(-1)).toEqual(['glooko/fetch/cgm', undefined]);
      expect(vi.getTimerCount()).toBe(0);
    }
  });

  it('shows nothing for a fetch shorter than two seconds', async () => {
    const { lines, shown, toLog } = onTerminal();
    toLog(fetching);
    await vi.advanceTimersByTimeAsync(1_900);
    toLog(fetched);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(shown).toEqual([]);
    expect(lines).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives each loop its own part of the status line', async () => {
    const { shown, toLog } = onTerminal();
    toLog(fetching);
    toLog({ ...fetching, loop: 'treatments' });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(new Map(shown)).toEqual(
      new Map([
        ['glooko/fetch/cgm', `${LINE} · 2 s`],
        ['glooko/fetch/treatments', 'glooko treatments: fetching 14 days of history (since 21 Nov 10:00) · 2 s'],
      ]),
    );
    toLog(fetched);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(shown.slice(-2)).toEqual([
      ['glooko/fetch/cgm', undefined],
      ['glooko/fetch/treatments', 'glooko treatments: fetching 14 days of history (since 21 Nov 10:00) · 3 s'],
    ]);
    toLog.stop();
  });

  it('gets one summary line in a machine log once it is over, and a short fetch none', async () => {
    const { lines, log } = capture();
    const toLog = bridgeLogger(log, { now: () => Date.now() });
    toLog(fetching);
    await vi.advanceTimersByTimeAsync(1_500);
    toLog(fetched);
    expect(lines).toEqual([]);
    toLog({ ...fetching, startedMs: Date.now() });
    await vi.advanceTimersByTimeAsync(12_300);
    toLog(fetched);
    expect(lines).toEqual([expect.objectContaining({ level: 30, msg: 'cgm: fetched 14 days of history in 12 s', loop: 'cgm', fetchMs: 12_300 })]);
    // No timer for a log nobody watches.
    expect(vi.getTimerCount()).toBe(0);
  });
});

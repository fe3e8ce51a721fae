import { describe, expect, it } from 'vitest';
import { parseBound, spanOf } from '../../commands/date-bounds.js';
import { csvField, exportWriter } from '../../commands/export-format.js';
import { checkDays } from '../../commands/report-run.js';

const failure = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('did not throw');
};

describe('export --from / --to', () => {
  it('a date is a local day: --from its start, --to its last millisecond', () => {
    expect(parseBound('from', '2026-12-01')).toBe(new Date(2026, 11, 1).getTime());
    expect(parseBound('to', '2026-12-01')).toBe(new Date(2026, 11, 2).getTime() - 1);
  });

  it('a date-time is local without a zone, exact with Z or an offset', () => {
    expect(parseBound('from', '2026-12-01T08:30')).toBe(new Date(2026, 11, 1, 8, 30).getTime());
    expect(parseBound('from', '2026-12-01 08:30:15')).toBe(new Date(2026, 11, 1, 8, 30, 15).getTime());
    expect(parseBound('from', '2026-12-01T07:00:00.5Z')).toBe(Date.UTC(2026, 11, 1, 7, 0, 0, 500));
    expect(parseBound('to', '2026-12-01T08:00+01:00')).toBe(Date.UTC(2026, 11, 1, 7));
    expect(parseBound('to', '2026-12-01T08:00-0230')).toBe(Date.UTC(2026, 11, 1, 10, 30));
  });

  it('anything else is EXP001, naming the option and the text', () => {
    for (const bad of ['yesterday', '2026-13-01', '2026-02-30', '2026-12-01T25:00', '2026-12-01T08:60', '1.12.2026', '', '2026-12-01T08:00+1', '17646e8']) {
      expect(failure(() => parseBound('from', bad)).message, bad).toBe(`[EXP001] --from "${bad}" is not a date`);
    }
    expect(parseBound('to', '2024-02-29')).toBe(new Date(2024, 2, 1).getTime() - 1);
  });

  it('--to defaults to now and --from to 14 days before it; --from after --to is EXP002', () => {
    const now = Date.UTC(2026, 11, 7, 12);
    expect(spanOf(undefined, undefined, now, 14)).toEqual({ fromMs: now - 14 * 86_400_000, toMs: now });
    expect(failure(() => spanOf('2026-12-05', '2026-12-01', now, 14)).message).toMatch(/^\[EXP002\] --from .* is after --to/);
  });
});

describe('export formats', () => {
  it('CSV fields are quoted as RFC 4180 says, and text a spreadsheet would run as a formula is defused', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField(null)).toBe('');
    expect(csvField(-5)).toBe('-5');
  });

  it('JSON: one valid array however the rows arrive', () => {
    const row = { local_time: 'x', utc: 'y', mgdl: 100, mmol: 5.5, trend: null, device: 'd' };
    const w = exportWriter('json');
    const text = w.start() + w.rows([]) + w.rows([row, row]) + w.rows([row]) + w.end();
    expect(JSON.parse(text)).toEqual([row, row, row]);
  });
});

describe('report --days', () => {
  it('a whole number of days from 1 to 366, else EXP009', () => {
    expect(checkDays(1)).toBe(1);
    expect(checkDays(366)).toBe(366);
    for (const bad of [0, -14, 1.5, 367, Number.NaN]) expect(failure(() => checkDays(bad)).message, String(bad)).toMatch(/^\[EXP009\] --days .* is not a whole number of days from 1 to 366$/);
  });
});

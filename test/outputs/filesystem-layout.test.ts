import { describe, expect, it } from 'vitest';
import { dayOf } from '../../outputs/filesystem/layout.js';

const MIDNIGHT = Date.UTC(2026, 2, 29);

describe('dayOf', () => {
  it('names the UTC day of every date, readings on either side of midnight interleaved', () => {
    const dates = [MIDNIGHT - 1, MIDNIGHT, MIDNIGHT - 1, MIDNIGHT + 86_399_999, MIDNIGHT + 86_400_000, MIDNIGHT - 1, 0, MIDNIGHT];
    expect(dates.map(dayOf)).toEqual(['2026-03-28', '2026-03-29', '2026-03-28', '2026-03-29', '2026-03-30', '2026-03-28', '1970-01-01', '2026-03-29']);
  });

  it('agrees with the date itself for a day of readings every 5 min across a year end', () => {
    const start = Date.UTC(2026, 11, 31, 12, 3, 17);
    for (let i = 0; i < 288; i++) {
      const date = start + i * 5 * 60_000;
      expect(dayOf(date)).toBe(new Date(date).toISOString().slice(0, 10));
    }
  });
});

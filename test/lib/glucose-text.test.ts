import { describe, expect, it } from 'vitest';
import { arrowOf, describeNewest, formatAge, formatGlucose, localClock, localDateTime } from '../../lib/glucose-text.js';

// 2024-05-01T12:05:00Z
const T = Date.UTC(2024, 4, 1, 12, 5);

describe('glucose as a person reads it', () => {
  it('shows mg/dL whole, mmol/L with one decimal, or both', () => {
    expect(formatGlucose(162, 'mgdl')).toBe('162 mg/dL');
    expect(formatGlucose(162, 'mmol')).toBe('9.0 mmol/L');
    expect(formatGlucose(70, 'mmol')).toBe('3.9 mmol/L');
    expect(formatGlucose(180, 'both')).toBe('180 mg/dL (10.0 mmol/L)');
  });

  it("uses Nightscout's arrows, and none without a direction", () => {
    expect(arrowOf('Flat')).toBe('→');
    expect(arrowOf('DoubleDown')).toBe('⇊');
    expect(arrowOf(undefined)).toBeUndefined();
  });

  it('says how old a reading is', () => {
    expect(formatAge(-5_000)).toBe('just now');
    expect(formatAge(59_000)).toBe('just now');
    expect(formatAge(3 * 60_000 + 10_000)).toBe('3 min ago');
    expect(formatAge(120 * 60_000)).toBe('2 h ago');
    expect(formatAge(125 * 60_000)).toBe('2 h 5 min ago');
    expect(formatAge(50 * 3_600_000)).toBe('2 d ago');
  });

  it('tells the time in the given zone, not in UTC', () => {
    expect(localClock(T, 'UTC')).toBe('12:05');
    expect(localClock(T, 'Europe/Berlin')).toBe('14:05');
    expect(localClock(T, 'America/New_York')).toBe('08:05');
    expect(localDateTime(T, 'Asia/Tokyo')).toBe('2024-05-01 21:05');
    expect(localDateTime(Date.UTC(2024, 4, 1, 23, 30), 'Europe/Berlin')).toBe('2024-05-02 01:30');
  });

  it('puts value, arrow, local time and age on one line', () => {
    expect(describeNewest({ mgdl: 162, direction: 'Flat', date: T }, 'mgdl', T + 3 * 60_000, 'Europe/Berlin')).toBe('162 mg/dL → · 14:05, 3 min ago');
    expect(describeNewest({ mgdl: 162, date: T }, 'mmol', T, 'UTC')).toBe('9.0 mmol/L · 12:05, just now');
  });
});

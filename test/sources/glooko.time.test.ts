import { describe, expect, it } from 'vitest';
import { glookoInstant, offsetAt, utcToWall, wallToUtc, type Zone } from '../../sources/glooko/timezone.js';

/** Glooko's fake-UTC wall clock ↔ real instants, across Europe/Berlin's clock changes. */

const BERLIN: Zone = { kind: 'iana', name: 'Europe/Berlin' };
const wall = (iso: string): number => Date.parse(iso);
const utc = (ms: number): string => new Date(ms).toISOString();

describe('Glooko local wall clock → UTC', () => {
  it('reads the spec fixture times as Berlin wall time (11:10 → 10:10 UTC in November)', () => {
    expect(utc(glookoInstant(BERLIN, '2026-11-22T11:10:00.000Z')!.ms)).toBe('2026-11-22T10:10:00.000Z');
    expect(glookoInstant(BERLIN, '2026-11-22T11:10:00.000Z')!.utcOffset).toBe(60);
    expect(utc(glookoInstant(BERLIN, '2026-07-01T11:10:00.000Z')!.ms)).toBe('2026-07-01T09:10:00.000Z');
  });

  it('respects an explicit non-Z offset and reads a missing suffix as wall time', () => {
    expect(utc(glookoInstant(BERLIN, '2026-11-22T11:10:00+05:30')!.ms)).toBe('2026-11-22T05:40:00.000Z');
    expect(utc(glookoInstant(BERLIN, '2026-11-22T11:10:00')!.ms)).toBe('2026-11-22T10:10:00.000Z');
    expect(glookoInstant(BERLIN, 'yesterday')).toBeUndefined();
  });

  it('spring forward (29 Mar 2026): 01:55 and 03:00 are five minutes apart; 02:30 never happened and is moved forward', () => {
    const before = wallToUtc(BERLIN, wall('2026-03-29T01:55:00Z'));
    const after = wallToUtc(BERLIN, wall('2026-03-29T03:00:00Z'));
    expect(utc(before.ms)).toBe('2026-03-29T00:55:00.000Z');
    expect(utc(after.ms)).toBe('2026-03-29T01:00:00.000Z');
    expect([before.utcOffset, after.utcOffset]).toEqual([60, 120]);
    expect(utc(wallToUtc(BERLIN, wall('2026-03-29T02:30:00Z')).ms)).toBe('2026-03-29T01:30:00.000Z');
  });

  it('fall back (25 Oct 2026): 02:30 happened twice; the first by default, the second named by the hint or offered as `second`', () => {
    const first = wallToUtc(BERLIN, wall('2026-10-25T02:30:00Z'));
    expect(utc(first.ms)).toBe('2026-10-25T00:30:00.000Z');
    expect(first.utcOffset).toBe(120);
    expect(first.second).toEqual({ ms: Date.parse('2026-10-25T01:30:00Z'), utcOffset: 60 });
    expect(utc(wallToUtc(BERLIN, wall('2026-10-25T02:30:00Z'), 60).ms)).toBe('2026-10-25T01:30:00.000Z');
    // An offset that is neither of the two (the fixtures' "+00:00") is ignored.
    expect(utc(wallToUtc(BERLIN, wall('2026-10-25T02:30:00Z'), 0).ms)).toBe('2026-10-25T00:30:00.000Z');
    expect(wallToUtc(BERLIN, wall('2026-10-25T03:30:00Z')).second).toBeUndefined();
  });

  it('UTC → wall clock for startDate/endDate follows the offset of each instant', () => {
    expect(utc(utcToWall(BERLIN, Date.parse('2026-10-24T12:00:00Z')))).toBe('2026-10-24T14:00:00.000Z');
    expect(utc(utcToWall(BERLIN, Date.parse('2026-10-26T12:00:00Z')))).toBe('2026-10-26T13:00:00.000Z');
    expect(offsetAt(BERLIN, Date.parse('2026-10-25T00:59:59Z'))).toBe(120);
    expect(offsetAt(BERLIN, Date.parse('2026-10-25T01:00:00Z'))).toBe(60);
  });

  it('a fixed offset (CONNECT_GLOOKO_TIMEZONE_OFFSET) never changes, as configured', () => {
    const fixed: Zone = { kind: 'fixed', minutes: 60 };
    expect(utc(glookoInstant(fixed, '2026-07-01T11:10:00.000Z')!.ms)).toBe('2026-07-01T10:10:00.000Z');
    expect(utc(utcToWall(fixed, Date.parse('2026-07-01T10:10:00Z')))).toBe('2026-07-01T11:10:00.000Z');
  });
});

import { describe, expect, it } from 'vitest';
import { CACHE_MS } from '../../outputs/http/cache/model.js';
import {
  admissionFloor,
  admitToRing,
  compactionDue,
  COMPACT_SLACK_LINES,
  MAX_RING_READINGS,
  restoreRing,
  ringLines,
  ringReadings,
  toRingLine,
  type Ring,
  type RingLine,
} from '../../outputs/http/cache/recent-ring.js';
import { MINUTE } from '../fakes/bridge-events.js';

const T0 = Date.UTC(2025, 0, 1, 12);

function line(date: number, sgv: number, source = 'simulator'): RingLine {
  return { date, sgv, direction: 'Flat', device: 'gluco-hub-simulator', source };
}

describe('recent-readings ring: restore', () => {
  it('gives back the last 24 h oldest first, as readings of the bridge', () => {
    const ring = restoreRing([line(T0 - 5 * MINUTE, 110), line(T0 - 10 * MINUTE, 100)], 'simulator', T0);
    expect(ringReadings(ring, 'sim')).toEqual([
      { date: T0 - 10 * MINUTE, sgv: 100, direction: 'Flat', device: 'gluco-hub-simulator', source: 'simulator', bridge: 'sim' },
      { date: T0 - 5 * MINUTE, sgv: 110, direction: 'Flat', device: 'gluco-hub-simulator', source: 'simulator', bridge: 'sim' },
    ]);
  });

  it('an empty or missing file is an empty ring', () => {
    expect(restoreRing([], 'simulator', T0).size).toBe(0);
  });

  it('leaves out lines older than 24 h', () => {
    const ring = restoreRing([line(T0 - CACHE_MS - MINUTE, 90), line(T0 - CACHE_MS, 95), line(T0 - MINUTE, 100)], 'simulator', T0);
    expect(ringLines(ring).map((l) => l.sgv)).toEqual([95, 100]);
  });

  it('leaves out lines from the future (a clock that was wrong when they were written)', () => {
    const ring = restoreRing([line(T0 - MINUTE, 100), line(T0 + 5 * MINUTE, 105), line(T0 + 30 * 24 * 60 * MINUTE, 300)], 'simulator', T0);
    expect(ringLines(ring).map((l) => l.sgv)).toEqual([100, 105]);
  });

  it('leaves out lines of another shape: a torn last line, a hand edit, a wrong type', () => {
    const ring = restoreRing([line(T0 - 2 * MINUTE, 100), { date: T0 - MINUTE }, { ...line(T0, 1), sgv: 'high' }, 'x', null], 'simulator', T0);
    expect(ringLines(ring).map((l) => l.sgv)).toEqual([100]);
  });

  it('leaves out another source under the same bridge id: simulated glucose never becomes a real person’s', () => {
    const ring = restoreRing([line(T0 - 2 * MINUTE, 40, 'simulator'), line(T0 - MINUTE, 120, 'linkup')], 'linkup', T0);
    expect(ringLines(ring).map((l) => l.sgv)).toEqual([120]);
  });

  it('one reading per time: the last line wins', () => {
    const ring = restoreRing([line(T0 - MINUTE, 100), line(T0 - MINUTE, 101)], 'simulator', T0);
    expect(ringLines(ring).map((l) => l.sgv)).toEqual([101]);
  });

  it('keeps at most MAX_RING_READINGS, the newest', () => {
    const lines = Array.from({ length: MAX_RING_READINGS + 10 }, (_, i) => line(T0 - i * 10_000, 100 + (i % 50)));
    const ring = restoreRing(lines, 'simulator', T0);
    expect(ring.size).toBe(MAX_RING_READINGS);
    expect(ringLines(ring)[0]!.date).toBe(T0 - (MAX_RING_READINGS - 1) * 10_000);
  });
});

describe('recent-readings ring: new readings', () => {
  it('admits new times and changed values, not what it already holds', () => {
    const ring: Ring = new Map();
    expect(admitToRing(ring, [line(T0 - MINUTE, 100), line(T0, 110)], T0).map((l) => l.sgv)).toEqual([100, 110]);
    expect(admitToRing(ring, [line(T0 - MINUTE, 100), line(T0, 111)], T0).map((l) => l.sgv)).toEqual([111]);
    expect(ringLines(ring).map((l) => l.sgv)).toEqual([100, 111]);
  });

  it('admits nothing older than 24 h or from the future', () => {
    const ring: Ring = new Map();
    expect(admitToRing(ring, [line(T0 - CACHE_MS - 1, 90), line(T0 + 30 * MINUTE, 300)], T0)).toEqual([]);
    expect(ring.size).toBe(0);
  });

  it('trims what aged past 24 h as time goes on', () => {
    const ring: Ring = new Map();
    admitToRing(ring, [line(T0 - 10 * MINUTE, 100)], T0);
    admitToRing(ring, [line(T0 + CACHE_MS - 5 * MINUTE, 120)], T0 + CACHE_MS);
    expect(ringLines(ring).map((l) => l.sgv)).toEqual([120]);
  });

  it('stays bounded when readings come faster than one a minute, and does not write a line it dropped at once', () => {
    const ring: Ring = new Map();
    admitToRing(ring, Array.from({ length: MAX_RING_READINGS }, (_, i) => line(T0 - i * 1_000, 100)), T0);
    expect(admitToRing(ring, [line(T0 + 1_000, 120)], T0 + 1_000)).toHaveLength(1);
    expect(ring.size).toBe(MAX_RING_READINGS);
    expect(admitToRing(ring, [line(T0 - MAX_RING_READINGS * 1_000, 90)], T0 + 1_000)).toEqual([]);
  });

  it('a line per reading leaves out the bridge (it is the folder) and absent fields', () => {
    expect(toRingLine({ date: T0, sgv: 100, direction: undefined, trend: undefined, device: 'd', bridge: 'sim', source: 'simulator' })).toEqual({
      date: T0,
      sgv: 100,
      device: 'd',
      source: 'simulator',
    });
  });

  it('asks for a rewrite once the file holds about twice what the ring keeps', () => {
    expect(compactionDue(2 * 288 + COMPACT_SLACK_LINES, 288)).toBe(false);
    expect(compactionDue(2 * 288 + COMPACT_SLACK_LINES + 1, 288)).toBe(true);
    expect(compactionDue(COMPACT_SLACK_LINES + 1, 0)).toBe(true);
  });
});

describe('recent-readings ring: what is worth looking at', () => {
  it('nothing older than 24 h', () => {
    expect(admissionFloor(new Map(), [T0], T0)).toBe(T0 - CACHE_MS);
  });

  it('from a batch larger than the bound, only its newest MAX_RING_READINGS', () => {
    const dates = Array.from({ length: MAX_RING_READINGS + 100 }, (_, i) => T0 - i * 1_000).reverse();
    expect(admissionFloor(new Map(), dates, T0)).toBe(T0 - (MAX_RING_READINGS - 1) * 1_000);
  });

  it('with a full ring, nothing older than what it keeps', () => {
    const ring: Ring = new Map();
    admitToRing(ring, Array.from({ length: MAX_RING_READINGS }, (_, i) => line(T0 - i * 1_000, 100)), T0);
    expect(admissionFloor(ring, [T0 - 5 * CACHE_MS], T0)).toBe(T0 - (MAX_RING_READINGS - 1) * 1_000);
  });
});

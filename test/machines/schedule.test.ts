import { describe, expect, it } from 'vitest';
import { gapWindow } from '../../machines/frame-logic.js';
import { alignedDelayMs, failedFrameDelayMs, MIN_FRAME_GAP_MS, nextFrameDelayMs } from '../../machines/schedule.js';
import { MAX_TIMER_MS } from '../../lib/time.js';

const SEC = 1_000;
const MIN = 60 * SEC;
const NOW = 1_800_000_000_000;
const loop = { collections: ['entries'], expectedIntervalMs: 5 * MIN, lagMs: 20 * SEC, backoff: { baseMs: 5 * SEC, capMs: 30 * MIN } };
const half = () => 0.5;

describe('alignedDelayMs', () => {
  it('waits for newest + interval + lag', () => {
    expect(alignedDelayMs(NOW, NOW - MIN, 5 * MIN, 20 * SEC)).toBe(4 * MIN + 20 * SEC);
  });
  it('moves on to the next future slot when readings are overdue', () => {
    expect(alignedDelayMs(NOW, NOW - 12 * MIN, 5 * MIN, 20 * SEC)).toBe(3 * MIN + 20 * SEC);
    // exactly on a slot counts as past: the next one is a full interval away
    expect(alignedDelayMs(NOW, NOW - 5 * MIN - 20 * SEC, 5 * MIN, 20 * SEC)).toBe(5 * MIN);
  });
  it('never schedules sooner than one second', () => {
    expect(alignedDelayMs(NOW, NOW - 5 * MIN - 19_700, 5 * MIN, 20 * SEC)).toBe(MIN_FRAME_GAP_MS);
  });
  it('never waits longer than one interval + lag, even for a reading dated in the future', () => {
    expect(alignedDelayMs(NOW, NOW + 3 * 60 * MIN, 5 * MIN, 20 * SEC)).toBe(5 * MIN + 20 * SEC);
  });
});

describe('failedFrameDelayMs', () => {
  it('doubles per consecutive failed frame from the loop interval, up to the cap', () => {
    const steps = [1, 2, 3, 4, 5, 6].map((n) => failedFrameDelayMs(NOW, n, loop, half));
    expect(steps).toEqual([3.75, 7.5, 15, 22.5, 22.5, 22.5].map((m) => m * MIN));
  });
  it('honours the vendor: never before notBeforeMs', () => {
    expect(failedFrameDelayMs(NOW, 1, loop, half, NOW + 45 * MIN)).toBe(45 * MIN);
    expect(failedFrameDelayMs(NOW, 1, loop, half, NOW - MIN)).toBe(3.75 * MIN);
  });
  it('clamps to the Node timer limit', () => {
    expect(failedFrameDelayMs(NOW, 1, loop, half, NOW + 10 * MAX_TIMER_MS)).toBe(MAX_TIMER_MS);
  });
});

describe('nextFrameDelayMs', () => {
  it('aligns only successful entry frames that know a newest reading', () => {
    expect(nextFrameDelayMs(NOW, { outcome: 'success', fetched: 1, newestEntryMs: NOW - MIN }, 0, loop, half)).toBe(4 * MIN + 20 * SEC);
    expect(nextFrameDelayMs(NOW, { outcome: 'success', fetched: 0 }, 0, loop, half)).toBe(5 * MIN);
    expect(nextFrameDelayMs(NOW, { outcome: 'skipped', fetched: 0 }, 0, loop, half)).toBe(5 * MIN);
    const treatments = { ...loop, collections: ['treatments'] };
    expect(nextFrameDelayMs(NOW, { outcome: 'success', fetched: 1, newestEntryMs: NOW - MIN }, 0, treatments, half)).toBe(5 * MIN);
  });

  it('never starts sooner than the loop\'s configured floor', () => {
    const everyMinute = { collections: ['entries'], expectedIntervalMs: MIN, lagMs: 5 * SEC, minIntervalMs: 30 * SEC };
    // The reading is 50 s old: aligned would be 15 s away, but the floor is 30 s.
    expect(nextFrameDelayMs(NOW, { outcome: 'success', fetched: 1, newestEntryMs: NOW - 50 * SEC }, 0, everyMinute, half)).toBe(30 * SEC);
    expect(nextFrameDelayMs(NOW, { outcome: 'success', fetched: 1, newestEntryMs: NOW - 10 * SEC }, 0, everyMinute, half)).toBe(55 * SEC);
  });
});

describe('gapWindow', () => {
  const l = { historyMs: 24 * 60 * MIN, collections: ['entries', 'treatments'] as const };
  it('starts at the oldest newest date across outputs and collections', () => {
    const w = gapWindow(NOW, l, [{ entries: NOW - 10 * MIN, treatments: NOW - 40 * MIN }, { entries: NOW - 20 * MIN, treatments: NOW - MIN }]);
    expect(w).toEqual({ fromMs: NOW - 40 * MIN, toMs: NOW });
  });
  it('back-fills the whole history when any output lacks one of the collections', () => {
    expect(gapWindow(NOW, l, [{ entries: NOW - 10 * MIN }]).fromMs).toBe(NOW - l.historyMs);
    expect(gapWindow(NOW, l, [undefined, { entries: NOW, treatments: NOW }]).fromMs).toBe(NOW - l.historyMs);
    expect(gapWindow(NOW, l, []).fromMs).toBe(NOW - l.historyMs);
  });
  it('is bounded by the vendor history and by now', () => {
    expect(gapWindow(NOW, l, [{ entries: NOW - 48 * 60 * MIN, treatments: NOW }]).fromMs).toBe(NOW - l.historyMs);
    expect(gapWindow(NOW, l, [{ entries: NOW + MIN, treatments: NOW + MIN }])).toEqual({ fromMs: NOW, toMs: NOW });
  });
});

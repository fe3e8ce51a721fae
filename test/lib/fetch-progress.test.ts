import { describe, expect, it } from 'vitest';
import { describeElapsed, describeSpan, fetchProgress, fetchSummary } from '../../lib/fetch-progress.js';
import { localDayAndClock } from '../../lib/glucose-text.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// 23 Nov 2025, 09:00 UTC: 10:00 in Berlin.
const FROM = Date.UTC(2025, 10, 23, 9);

describe('how much history a fetch asks for', () => {
  it('says it in days, hours or minutes, whichever reads best', () => {
    expect(describeSpan({ fromMs: FROM, toMs: FROM + 14 * DAY })).toBe('14 days');
    expect(describeSpan({ fromMs: FROM, toMs: FROM + DAY })).toBe('1 day');
    expect(describeSpan({ fromMs: FROM, toMs: FROM + DAY - 10 * MIN })).toBe('1 day');
    expect(describeSpan({ fromMs: FROM, toMs: FROM + 3 * HOUR + 5 * MIN })).toBe('3 hours');
    expect(describeSpan({ fromMs: FROM, toMs: FROM + HOUR })).toBe('1 hour');
    expect(describeSpan({ fromMs: FROM, toMs: FROM + 25 * MIN })).toBe('25 minutes');
    expect(describeSpan({ fromMs: FROM, toMs: FROM + 10_000 })).toBe('1 minute');
  });

  it('tells the start in the local time zone, and the time taken in seconds, then minutes', () => {
    expect(localDayAndClock(FROM, 'Europe/Berlin')).toBe('23 Nov 10:00');
    expect(localDayAndClock(FROM, 'Asia/Kolkata')).toBe('23 Nov 14:30');
    expect(describeElapsed(6_900)).toBe('6 s');
    expect(describeElapsed(125_000)).toBe('2 min 5 s');
    expect(describeElapsed(120_000)).toBe('2 min');
  });
});

describe('a fetch on the status line and in the log', () => {
  const fetch = { label: 'glooko cgm', window: { fromMs: FROM, toMs: FROM + 14 * DAY }, startedMs: FROM + 14 * DAY };

  it('shows nothing for the first two seconds, then the window and the time it has run', () => {
    expect(fetchProgress(fetch, fetch.startedMs + 1_999, 'Europe/Berlin')).toBeUndefined();
    expect(fetchProgress(fetch, fetch.startedMs + 2_000, 'Europe/Berlin')).toBe('glooko cgm: fetching 14 days of history (since 23 Nov 10:00) · 2 s');
    expect(fetchProgress(fetch, fetch.startedMs + 6_400, 'Europe/Berlin')).toBe('glooko cgm: fetching 14 days of history (since 23 Nov 10:00) · 6 s');
  });

  it('sums up only a fetch that took two seconds or more', () => {
    expect(fetchSummary({ ...fetch, label: 'cgm' }, fetch.startedMs + 1_999)).toBeUndefined();
    expect(fetchSummary({ ...fetch, label: 'cgm' }, fetch.startedMs + 12_300)).toBe('cgm: fetched 14 days of history in 12 s');
  });
});

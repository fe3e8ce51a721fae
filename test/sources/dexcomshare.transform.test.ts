import { describe, expect, it } from 'vitest';
import { entrySchema } from '../../lib/domain.js';
import { syncIdentifier } from '../../lib/identity.js';
import { nextFrameDelayMs } from '../../machines/schedule.js';
import { queryFor } from '../../sources/dexcomshare/loop.js';
import { regionBaseUrl, serverBaseUrl } from '../../sources/dexcomshare/regions.js';
import { parseShareTime } from '../../sources/dexcomshare/timestamps.js';
import { SHARE_DEVICE, transformReadings } from '../../sources/dexcomshare/transform.js';
import { trendFor } from '../../sources/dexcomshare/trend.js';
import { fixture, harness } from '../fixtures/dexcomshare/harness.js';

const MIN = 60_000;

describe('Dexcom Share times', () => {
  it('reads all three spellings of WT, and the DT suffix as utcOffset', () => {
    expect(parseShareTime('Date(1763806500000)')).toEqual({ ms: 1763806500000 });
    expect(parseShareTime('/Date(1763806500000)/')).toEqual({ ms: 1763806500000 });
    expect(parseShareTime('Date(1763806500000+0100)')).toEqual({ ms: 1763806500000, utcOffset: 60 });
    expect(parseShareTime('/Date(1426292016000-0700)/')).toEqual({ ms: 1426292016000, utcOffset: -420 });
    expect(parseShareTime('Date(1763806500000+0530)')).toEqual({ ms: 1763806500000, utcOffset: 330 });
    expect(parseShareTime('Date(1763806500000-0000)')).toEqual({ ms: 1763806500000, utcOffset: 0 });
  });

  it('refuses anything else', () => {
    for (const bad of ['', '1763806500000', 'Date()', 'Date(abc)', 'Date(1763806500000+2500)', 'Date(1763806500000+0175)', '2025-11-22T10:15:00Z']) {
      expect(parseShareTime(bad), bad).toBeUndefined();
    }
  });
});

describe('Dexcom Share trend', () => {
  it('maps names (with or without spaces) and legacy integers to Nightscout', () => {
    expect(trendFor('FortyFiveUp')).toEqual({ direction: 'FortyFiveUp', trend: 3 });
    expect(trendFor('Forty Five Up')).toEqual({ direction: 'FortyFiveUp', trend: 3 });
    expect(trendFor('NotComputable')).toEqual({ direction: 'NOT COMPUTABLE', trend: 8 });
    expect(trendFor('Rate Out Of Range')).toEqual({ direction: 'RATE OUT OF RANGE', trend: 9 });
    expect(trendFor('None')).toEqual({ direction: 'NONE', trend: 0 });
    const names = ['None', 'DoubleUp', 'SingleUp', 'FortyFiveUp', 'Flat', 'FortyFiveDown', 'SingleDown', 'DoubleDown', 'NotComputable', 'RateOutOfRange'];
    names.forEach((name, i) => expect(trendFor(i)).toEqual(trendFor(name)));
    expect(trendFor(4)).toEqual({ direction: 'Flat', trend: 4 });
  });

  it('invents no arrow for an unknown value', () => {
    for (const v of [10, -1, 2.5, 'Sideways', '', null, undefined, {}]) expect(trendFor(v)).toBeUndefined();
  });
});

describe('Dexcom Share transform', () => {
  it('turns the spec fixture into entries, oldest first, with sync identities', () => {
    const { entries, treatments, devicestatus } = transformReadings(fixture('readings'));
    expect(treatments).toEqual([]);
    expect(devicestatus).toEqual([]);
    expect(entries).toEqual([
      {
        type: 'sgv',
        sgv: 138,
        date: 1763806200000,
        dateString: '2025-11-22T10:10:00.000Z',
        direction: 'Flat',
        trend: 4,
        utcOffset: 60,
        device: 'share2',
        identifier: syncIdentifier({ device: 'share2', date: 1763806200000 }),
        app: 'gluco-hub',
      },
      expect.objectContaining({ sgv: 142, date: 1763806500000, direction: 'FortyFiveUp', trend: 3, utcOffset: 60 }),
    ]);
    for (const e of entries) expect(entrySchema.safeParse(e).success).toBe(true);
    expect(SHARE_DEVICE).toBe('share2');
  });

  it('reads the legacy reading (slashes, integer trend, negative offset) by WT', () => {
    const { entries } = transformReadings([fixture('legacy-reading')]);
    expect(entries).toEqual([expect.objectContaining({ sgv: 101, date: 1426292039000, direction: 'Flat', trend: 4, utcOffset: -420 })]);
  });

  it('keeps 39 and 401 as the LOW / HIGH sentinels they are, flagged, value unchanged', () => {
    const raw = [
      { WT: 'Date(1763806500000)', DT: 'Date(1763806500000+0000)', Value: 401, Trend: 'NotComputable' },
      { WT: 'Date(1763806200000)', DT: 'Date(1763806200000+0000)', Value: 39, Trend: 'None' },
      { WT: 'Date(1763805900000)', Value: 40, Trend: 'Flat' },
    ];
    const { entries } = transformReadings(raw);
    expect(entries.map((e) => [e.sgv, e.sentinel])).toEqual([
      [40, undefined],
      [39, 'LOW'],
      [401, 'HIGH'],
    ]);
  });

  it('an empty array is no data, not an error', () => {
    expect(transformReadings([])).toEqual({ entries: [], treatments: [], devicestatus: [] });
  });

  it('one entry per WT (the first listed, i.e. the newest copy wins)', () => {
    const raw = [
      { WT: 'Date(1763806500000)', Value: 142, Trend: 'Flat' },
      { WT: '/Date(1763806500000)/', Value: 141, Trend: 'Flat' },
    ];
    expect(transformReadings(raw).entries.map((e) => e.sgv)).toEqual([142]);
  });

  it('a reading without trend or DT gets neither direction nor utcOffset', () => {
    const [entry] = transformReadings([{ WT: 'Date(1763806500000)', Value: 120 }]).entries;
    expect(entry).not.toHaveProperty('direction');
    expect(entry).not.toHaveProperty('trend');
    expect(entry).not.toHaveProperty('utcOffset');
  });

  it('a body that is not an array of readings is DEX014, an unreadable WT is DEX015', () => {
    expect(() => transformReadings({ Code: 'x' })).toThrow(/DEX014/);
    expect(() => transformReadings([{ WT: 'Date(1)', Value: 'high' }])).toThrow(/DEX014/);
    expect(() => transformReadings([{ WT: 'Date(1)', Value: 0 }])).toThrow(/DEX014/);
    expect(() => transformReadings([{ WT: 'yesterday', Value: 100 }])).toThrow(/DEX015/);
  });
});

describe('Dexcom Share query and servers', () => {
  it('asks for the whole gap, at most 1440 minutes / 288 readings', () => {
    const now = 1_763_806_530_000;
    expect(queryFor({ fromMs: now - 10 * MIN, toMs: now }, now)).toEqual({ minutes: 10, maxCount: 3 });
    expect(queryFor({ fromMs: now - 10 * MIN - 1, toMs: now }, now)).toEqual({ minutes: 11, maxCount: 4 });
    expect(queryFor({ fromMs: now, toMs: now }, now)).toEqual({ minutes: 1, maxCount: 2 });
    expect(queryFor({ fromMs: now - 24 * 60 * MIN, toMs: now }, now)).toEqual({ minutes: 1440, maxCount: 288 });
    expect(queryFor({ fromMs: now - 48 * 60 * MIN, toMs: now }, now)).toEqual({ minutes: 1440, maxCount: 288 });
  });

  it('region and server base URLs', () => {
    expect(regionBaseUrl('us')).toBe('https://share2.dexcom.com/ShareWebServices/Services');
    expect(regionBaseUrl('ous')).toBe('https://shareous1.dexcom.com/ShareWebServices/Services');
    expect(regionBaseUrl('jp')).toBe('https://share.dexcom.jp/ShareWebServices/Services');
    expect(serverBaseUrl('shareous1.dexcom.com')).toBe('https://shareous1.dexcom.com/ShareWebServices/Services');
    expect(serverBaseUrl('127.0.0.1:8080')).toBe('https://127.0.0.1:8080/ShareWebServices/Services');
    expect(serverBaseUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080/ShareWebServices/Services');
    expect(serverBaseUrl('https://proxy.example.test/share/ShareWebServices/Services/')).toBe('https://proxy.example.test/share/ShareWebServices/Services');
    expect(() => serverBaseUrl('ftp://x')).toThrow(/DEX001/);
    expect(() => serverBaseUrl('http://user:pw@host')).toThrow(/DEX001/);
    expect(() => serverBaseUrl('http://host/?q=1')).toThrow(/DEX001/);
  });
});

describe('Dexcom Share schedule', () => {
  const newest = 1_763_806_500_000;
  const delay = (nowMs: number, intervalSeconds = 300): number => {
    const loop = harness({ intervalSeconds }).driver.loops[0]!;
    return nextFrameDelayMs(nowMs, { outcome: 'success', fetched: 1, newestEntryMs: newest }, 0, loop, () => 0.5);
  };

  it('polls at the newest WT + 5 min + 20 s', () => {
    expect(delay(newest + 30_000)).toBe(5 * MIN + 20_000 - 30_000);
    // A missed reading: the next slot, not right away and not 5 min late.
    expect(delay(newest + 5 * MIN + 25_000)).toBe(5 * MIN - 5_000);
  });

  it('never further apart than the configured ceiling (+ the 20 s lag), never sooner than the floor', () => {
    expect(delay(newest + 30_000, 120)).toBeLessThanOrEqual(120_000 + 20_000);
    expect(delay(newest + 5 * MIN + 19_000)).toBe(MIN);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bridgeLogger } from '../../app/bridge-log.js';
import type { Batch, Entry } from '../../lib/domain.js';
import { screenGlucose, SGV_MAX_MGDL, SGV_MIN_MGDL } from '../../lib/glucose-range.js';
import type { BridgeEvent } from '../../lib/contracts/bridge-events.js';
import { transformReadings } from '../../sources/dexcomshare/transform.js';
import { collectionLoop } from '../../sources/nightscout/loop.js';
import { NSS_DEVICE } from '../../sources/nightscout/document.js';
import type { NightscoutClient } from '../../lib/nightscout/client.js';
import { captureLog } from '../fakes/capture-log.js';
import { silentLog } from '../fakes/driver-context.js';
import { entry, fakeDriver, fakeLoop, fakeOutput, fakeSession, MIN, settle, startPoller, T0 } from './fakes.js';

/**
 * One rule for every source: an sgv no sensor can report (below 20 or above 600 mg/dL) is kept
 * out of the batch with one coded warning (SGV001) that names the loop, the device, the date and
 * the side of the band, never the value; vendors' LOW/HIGH sentinels (Dexcom 39/401) are stored.
 */

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

function reading(date: number, sgv: number): Entry {
  return { ...entry(date), sgv };
}

function batchOfValues(values: [number, number][]): Batch {
  return { entries: values.map(([date, sgv]) => reading(date, sgv)), treatments: [], devicestatus: [] };
}

describe('the glucose band (pure)', () => {
  it('keeps 20 through 600, drops below 20, above 600 and non-numbers, and leaves entries without sgv alone', () => {
    expect([SGV_MIN_MGDL, SGV_MAX_MGDL]).toEqual([20, 600]);
    const values = [19, 20, 39, 401, 600, 601, 0, -5, 1e9, Number.NaN, Number.POSITIVE_INFINITY];
    const batch = batchOfValues(values.map((v, i) => [T0 - (i + 1) * MIN, v]));
    const meter: Entry = { ...entry(T0 - 30 * MIN), type: 'mbg', mbg: 1000 };
    delete meter.sgv;
    batch.entries.push(meter);
    const { batch: kept, impossible } = screenGlucose(batch);
    expect(kept.entries.map((e) => e.sgv ?? e.mbg)).toEqual([20, 39, 401, 600, 1000]);
    expect(impossible.map((r) => [r.mgdl, r.side])).toEqual([
      [19, 'below'],
      [601, 'above'],
      [0, 'below'],
      [-5, 'below'],
      [1e9, 'above'],
      [Number.NaN, 'below'],
      [Number.POSITIVE_INFINITY, 'above'],
    ]);
  });

  it('hands back the same batch when every reading is plausible', () => {
    const batch = batchOfValues([[T0 - MIN, 120]]);
    expect(screenGlucose(batch).batch).toBe(batch);
  });
});

describe('every frame applies the band after the transform', () => {
  function run(transform: (raw: unknown) => Batch, raw: unknown) {
    const logged = captureLog();
    const events: BridgeEvent[] = [];
    const toLog = bridgeLogger(logged.log);
    const loop = fakeLoop({ fetch: () => Promise.resolve(raw), transform });
    const out = fakeOutput('out');
    const poller = startPoller({
      driver: fakeDriver(fakeSession(), [loop]),
      outputs: [out],
      notify: (e) => {
        events.push(e);
        toLog(e);
      },
    });
    return { logged, events, out, loop, poller };
  }

  it('stores the plausible readings and warns once with SGV001: loop, device, date, side — never the value', async () => {
    const values: [number, number][] = [
      [T0 - 15 * MIN, 5],
      [T0 - 10 * MIN, 120],
      [T0 - 5 * MIN, 733],
    ];
    const { logged, events, out, poller } = run(() => batchOfValues(values), null);
    await settle();
    expect(out.stored.flatMap((b) => b.entries.map((e) => e.sgv))).toEqual([120]);
    const transformed = events.find((e) => e.type === 'frame.transformed');
    expect(transformed?.type === 'frame.transformed' && transformed.batch.entries.map((e) => e.sgv)).toEqual([120]);

    const warnings = logged.lines().filter((l) => l.code === 'SGV001');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe(40);
    expect(warnings[0]!.msg).toContain(
      `[SGV001] entries: 2 glucose readings from fake-cgm outside what a sensor can report (20–600 mg/dL): below 20 at ${new Date(T0 - 15 * MIN).toISOString()}, above 600 at ${new Date(T0 - 5 * MIN).toISOString()}; kept out of sgv, not stored`,
    );
    const info = logged.lines().filter((l) => (l.level as number) >= 30);
    expect(JSON.stringify(info)).not.toMatch(/\b(5|733)\b(?![\d:.-])/);

    // The vendor sends the same window again next poll: no second warning for the same readings.
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(logged.lines().filter((l) => l.code === 'SGV001')).toHaveLength(1);
    poller.actor.stop();
  });

  it('a batch of nothing but impossible readings calls no output and the frame still succeeds', async () => {
    const { out, events, poller } = run(() => batchOfValues([[T0 - MIN, 1200]]), null);
    await settle();
    expect(out.storeCalls).toBe(0);
    expect(events.find((e) => e.type === 'frame.done')).toMatchObject({ result: { outcome: 'success', fetched: 0 } });
    poller.actor.stop();
  });

  it('Dexcom Share: 39 and 401 are stored as the LOW / HIGH sentinels; an error code (5) and 700 are not', async () => {
    const raw = [
      { WT: `Date(${T0 - 5 * MIN})`, Value: 700, Trend: 'None' },
      { WT: `Date(${T0 - 10 * MIN})`, Value: 401, Trend: 'None' },
      { WT: `Date(${T0 - 15 * MIN})`, Value: 39, Trend: 'None' },
      { WT: `Date(${T0 - 20 * MIN})`, Value: 5, Trend: 'None' },
    ];
    const { out, logged, poller } = run(transformReadings, raw);
    await settle();
    expect(out.stored.flatMap((b) => b.entries.map((e) => [e.sgv, e.sentinel]))).toEqual([
      [39, 'LOW'],
      [401, 'HIGH'],
    ]);
    expect(logged.lines().find((l) => l.code === 'SGV001')?.msg).toContain('2 glucose readings from share2');
    poller.actor.stop();
  });

  it('the Nightscout source does not copy a site\'s impossible sgv either', async () => {
    const loop = collectionLoop('entries', { read: { client: {} as NightscoutClient, pageSize: 500 }, log: silentLog, device: NSS_DEVICE });
    const doc = (date: number, sgv: number) => ({ type: 'sgv', sgv, date, dateString: new Date(date).toISOString(), device: 'xDrip-DexcomG6' });
    const raw = { collection: 'entries', api: 'v1', documents: [doc(T0 - 10 * MIN, 3), doc(T0 - 5 * MIN, 140)] };
    const { out, logged, poller } = run((r) => loop.transform(r, { fromMs: T0 - 60 * MIN, toMs: T0 }), raw);
    await settle();
    expect(out.stored.flatMap((b) => b.entries.map((e) => e.sgv))).toEqual([140]);
    expect(logged.lines().find((l) => l.code === 'SGV001')?.msg).toContain('a glucose reading from xDrip-DexcomG6');
    poller.actor.stop();
  });
});

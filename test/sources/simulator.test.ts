import { describe, expect, it } from 'vitest';
import { batchSchema, entrySchema, treatmentSchema, type Batch, type Entry } from '../../lib/domain.js';
import { AuthError, TransformError } from '../../lib/errors.js';
import { syncIdentifier } from '../../lib/identity.js';
import { directionForRate } from '../../sources/simulator/direction.js';
import { gridFor } from '../../sources/simulator/grid.js';
import { createSimulatorDriver, type SimulatorSettings } from '../../sources/simulator/index.js';
import type { FetchWindow, SourceDriver } from '../../lib/contracts/source.js';
import { testDriverContext } from '../fakes/driver-context.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2025, 2, 10, 15, 7, 13);
const SESSION = { token: 'simulated', establishedAt: NOW };
const EVERYTHING: FetchWindow = { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER };

function driverAt(now: number, settings: Partial<SimulatorSettings> = {}) {
  return createSimulatorDriver({ intervalSeconds: 300, seed: 7, ...settings }, testDriverContext(() => now));
}

async function fetchLoop(driver: ReturnType<typeof driverAt>, loop: 'entries' | 'treatments', window: FetchWindow): Promise<Batch> {
  const source = driver.loops.find((l) => l.name === loop)!;
  const raw = await source.fetch(SESSION, window, new AbortController().signal);
  return source.transform(raw, window);
}

async function entries(settings: Partial<SimulatorSettings> = {}, window = EVERYTHING, now = NOW): Promise<Entry[]> {
  return (await fetchLoop(driverAt(now, settings), 'entries', window)).entries;
}

/** mg/dL per minute between each reading and the one `stepMs` before it, where both exist. */
function slopes(list: readonly Entry[], stepMs: number): { entry: Entry; rate: number }[] {
  const byDate = new Map(list.map((e) => [e.date, e]));
  return list.flatMap((entry) => {
    const previous = byDate.get(entry.date - stepMs);
    return previous ? [{ entry, rate: (entry.sgv! - previous.sgv!) / (stepMs / MINUTE) }] : [];
  });
}

describe('simulator source', () => {
  it('describes itself as a driver the machines can run', () => {
    const driver: SourceDriver = driverAt(NOW);
    expect(driver.kind).toBe('simulator');
    expect(driver.device).toBe('gluco-hub-simulator');
    const [entryLoop, treatmentLoop] = driver.loops;
    expect(entryLoop).toMatchObject({ name: 'entries', collections: ['entries'], expectedIntervalMs: 300_000, historyMs: DAY, maxRetries: 3 });
    expect(entryLoop!.lagMs).toBeGreaterThan(0);
    expect(entryLoop!.lagMs).toBeLessThanOrEqual(10_000);
    expect(treatmentLoop).toMatchObject({ name: 'treatments', collections: ['treatments'], historyMs: DAY });
    expect(driverAt(NOW, { intervalSeconds: 1 }).loops[1]!.expectedIntervalMs).toBe(5 * MINUTE);
  });

  it('returns the same documents for the same seed and window, even when asked later', async () => {
    const window = { fromMs: NOW - 6 * HOUR, toMs: NOW - 2 * HOUR };
    const first = await fetchLoop(driverAt(NOW), 'entries', window);
    const again = await fetchLoop(driverAt(NOW + 3 * HOUR), 'entries', window);
    expect(first.entries.length).toBe(48);
    expect(again).toEqual(first);
  });

  it('gives different seeds different traces', async () => {
    const a = (await entries({ seed: 1 })).map((e) => e.sgv);
    const b = (await entries({ seed: 2 })).map((e) => e.sgv);
    expect(a).not.toEqual(b);
  });

  it('has readings only on its grid, never after now and only for the last 24 h', async () => {
    const list = await entries();
    const { phaseMs } = gridFor(7, 300);
    expect(list).toHaveLength(288);
    for (const [i, entry] of list.entries()) {
      expect((entry.date - phaseMs) % 300_000).toBe(0);
      expect(entry.date).toBeLessThanOrEqual(NOW);
      expect(entry.date).toBeGreaterThan(NOW - DAY);
      if (i > 0) expect(entry.date - list[i - 1]!.date).toBe(300_000);
    }
    expect(NOW - list.at(-1)!.date).toBeLessThan(300_000);
  });

  it('answers a window in the middle with exactly the readings after its start up to its end', async () => {
    const day = await entries();
    const from = day[100]!.date;
    const to = day[140]!.date;
    const middle = await entries({}, { fromMs: from, toMs: to });
    expect(middle).toEqual(day.slice(101, 141));
    expect(await entries({}, { fromMs: to, toMs: to })).toEqual([]);
    expect(await entries({}, { fromMs: NOW, toMs: NOW + HOUR })).toEqual([]);
  });

  it('stays within the sensor range and changes at plausible rates all day', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const list = await entries({ seed });
      for (const entry of list) {
        expect(entry.sgv).toBeGreaterThanOrEqual(40);
        expect(entry.sgv).toBeLessThanOrEqual(400);
      }
      const rates = slopes(list, 300_000).map(({ rate }) => Math.abs(rate));
      expect(rates.filter((rate) => rate > 3).length / rates.length).toBeLessThan(0.02);
      expect(Math.max(...list.map((e) => e.sgv!)) - Math.min(...list.map((e) => e.sgv!))).toBeGreaterThan(30);
    }
  });

  it('points each arrow the way the last five minutes went, with Nightscout trend numbers', async () => {
    for (const intervalSeconds of [300, 60]) {
      const list = await entries({ intervalSeconds, seed: 3 });
      const checked = slopes(list, 5 * MINUTE);
      expect(checked.length).toBeGreaterThan(list.length - 10);
      for (const { entry, rate } of checked) {
        expect({ direction: entry.direction, trend: entry.trend }).toEqual(directionForRate(rate));
      }
    }
  });

  it('uses the Nightscout thresholds for arrows', () => {
    const table: [number, string, number][] = [
      [-3.5, 'DoubleDown', 7],
      [-3, 'DoubleDown', 7],
      [-2.5, 'SingleDown', 6],
      [-2, 'SingleDown', 6],
      [-1, 'FortyFiveDown', 5],
      [-0.9, 'Flat', 4],
      [0.9, 'Flat', 4],
      [1, 'FortyFiveUp', 3],
      [2, 'SingleUp', 2],
      [3, 'DoubleUp', 1],
    ];
    for (const [rate, direction, trend] of table) expect(directionForRate(rate)).toEqual({ direction, trend });
  });

  it('gives every entry the Nightscout sync identity and a valid document shape', async () => {
    const list = await entries();
    for (const entry of list) {
      expect(entrySchema.parse(entry)).toEqual(entry);
      expect(entry).toMatchObject({ type: 'sgv', device: 'gluco-hub-simulator', utcOffset: 0, noise: 1, app: 'gluco-hub' });
      expect(entry.dateString).toBe(new Date(entry.date).toISOString());
      expect(entry.identifier).toBe(syncIdentifier({ device: 'gluco-hub-simulator', date: entry.date }));
    }
  });

  it('records meal boluses at the meals the trace shows, under the same history rules', async () => {
    const driver = driverAt(NOW, { seed: 11 });
    const { treatments } = await fetchLoop(driver, 'treatments', EVERYTHING);
    const trace = (await fetchLoop(driver, 'entries', EVERYTHING)).entries;
    const meals = treatments.filter((t) => t.eventType === 'Meal Bolus');
    expect(meals.length).toBeGreaterThanOrEqual(2);
    expect(batchSchema.parse({ entries: [], treatments, devicestatus: [] }).treatments).toEqual(treatments);
    for (const treatment of treatments) {
      expect(['Meal Bolus', 'Correction Bolus', 'Carb Correction']).toContain(treatment.eventType);
      expect(treatmentSchema.parse(treatment)).toEqual(treatment);
      expect(treatment.date).toBeLessThanOrEqual(NOW);
      expect(treatment.date).toBeGreaterThan(NOW - DAY);
      expect(treatment.created_at).toBe(new Date(treatment.date).toISOString());
      // A low's fast carbs come without insulin; every bolus has some.
      if (treatment.eventType === 'Carb Correction') {
        expect(treatment.carbs).toBeGreaterThanOrEqual(15);
        expect(treatment).not.toHaveProperty('insulin');
      } else expect(treatment.insulin).toBeGreaterThan(0);
      expect(treatment.identifier).toBe(
        syncIdentifier({ device: 'gluco-hub-simulator', date: treatment.date, eventType: treatment.eventType }),
      );
    }
    for (const meal of meals.filter((m) => m.date < NOW - 2 * HOUR && m.date > NOW - DAY + 5 * MINUTE)) {
      expect(meal.carbs).toBeGreaterThan(0);
      const atMeal = trace.filter((e) => e.date <= meal.date).at(-1)!.sgv!;
      const peak = Math.max(...trace.filter((e) => e.date > meal.date && e.date <= meal.date + 2 * HOUR).map((e) => e.sgv!));
      expect(peak - atMeal).toBeGreaterThan(15);
    }
  });

  it('returns the same treatments for a window asked twice and nothing outside it', async () => {
    const window = { fromMs: NOW - 20 * HOUR, toMs: NOW - 4 * HOUR };
    const first = await fetchLoop(driverAt(NOW, { seed: 11 }), 'treatments', window);
    const again = await fetchLoop(driverAt(NOW + HOUR, { seed: 11 }), 'treatments', window);
    expect(again).toEqual(first);
    for (const t of first.treatments) expect(t.date > window.fromMs && t.date <= window.toMs).toBe(true);
  });

  it('keeps up with a 1-second cadence over a full day', async () => {
    const list = await entries({ intervalSeconds: 1 });
    expect(list).toHaveLength(86_400);
    expect(list.at(-1)!.date).toBeLessThanOrEqual(NOW);
    expect(list[1]!.date - list[0]!.date).toBe(1000);
    const rates = slopes(list.filter((_, i) => i % 60 === 0), 60_000).map(({ rate }) => Math.abs(rate));
    expect(rates.filter((rate) => rate > 3).length / rates.length).toBeLessThan(0.02);
  });

  it('logs in with a fake session, honouring the abort signal', async () => {
    const { session } = driverAt(NOW);
    const auth = await session.authenticate(new AbortController().signal);
    expect(auth.token).toEqual(expect.any(String));
    await expect(session.authorize(auth, new AbortController().signal)).resolves.toMatchObject({ token: auth.token });
    const aborted = new AbortController();
    aborted.abort(new Error('stopping'));
    await expect(session.authenticate(aborted.signal)).rejects.toThrow('stopping');
    await expect(driverAt(NOW).loops[0]!.fetch(SESSION, EVERYTHING, aborted.signal)).rejects.toThrow('stopping');
  });

  it('refuses the login with AuthError SIM001 when failAuth is set', async () => {
    const error: unknown = await driverAt(NOW, { failAuth: true })
      .session.authenticate(new AbortController().signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'SIM001', hint: expect.stringContaining('failAuth') });
    expect((error as Error).message).toMatch(/^\[SIM001\]/);
  });

  it('rejects a raw answer it cannot read with TransformError SIM002', () => {
    const loop = driverAt(NOW).loops[0]!;
    for (const raw of [null, { points: [{ t: 'soon', mgdl: 100, rate: 0 }], treatments: [] }, { points: [] }]) {
      let error: unknown;
      try {
        loop.transform(raw, EVERYTHING);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TransformError);
      expect(error).toMatchObject({ code: 'SIM002' });
    }
  });
});

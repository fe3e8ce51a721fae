import { describe, expect, it } from 'vitest';
import { emptyBatch, type Batch, type DeviceStatus, type Entry, type Treatment } from '../../lib/domain.js';
import { syncIdentifier } from '../../lib/identity.js';
import { createLogger } from '../../lib/logger.js';
import { createInternalOutput } from '../../outputs/internal/index.js';
import { createFakeNightscoutCtx, type FakeNightscoutCtx } from '../fakes/nightscout-ctx.js';
import { rejection, signal } from '../fakes/settle.js';

/** The internal output (gluco-hub inside Nightscout) against a fake of the site's storage and bus. */

const NOW = Date.parse('2026-11-30T12:00:00Z');
const MIN = 60_000;
const log = createLogger({ level: 'silent', format: 'json' });

function entry(date: number, sgv = 120, device = 'gluco-hub-test'): Entry {
  return { type: 'sgv', sgv, date, dateString: new Date(date).toISOString(), device, identifier: syncIdentifier({ device, date }) };
}

function treatment(date: number, device = 'gluco-hub-test'): Treatment {
  const eventType = 'Meal Bolus';
  return { eventType, created_at: new Date(date).toISOString(), date, carbs: 30, insulin: 3, device, identifier: syncIdentifier({ device, date, eventType }) };
}

function status(date: number, device = 'carelink://pump'): DeviceStatus {
  return { created_at: new Date(date).toISOString(), date, device, identifier: syncIdentifier({ device, date }), pump: { reservoir: 100 } };
}

function batch(parts: Partial<Batch>): Batch {
  return { ...emptyBatch(), ...parts };
}

function output(ctx: FakeNightscoutCtx) {
  const out = createInternalOutput(ctx, { now: () => NOW, log });
  ctx.bus.on('data-processed', (sbx) => out.see(sbx));
  return out;
}

/** Lets the fake's write → data-received → reload → data-processed chain run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('gap analysis reads the site', () => {
  it('waits for the first data load, then reports the newest of each collection the site holds', async () => {
    const ctx = createFakeNightscoutCtx({ now: () => NOW, entries: [entry(NOW - 30 * MIN), entry(NOW - 10 * MIN)], treatments: [treatment(NOW - 60 * MIN)] });
    const out = output(ctx);
    let answered = false;
    const newest = out.newest(signal()).then((n) => ((answered = true), n));
    await settle();
    expect(answered).toBe(false);
    ctx.reload();
    expect(await newest).toEqual({ entries: NOW - 10 * MIN, treatments: NOW - 60 * MIN });
  });

  it('an empty site has nothing, so the vendor window is back-filled; a reading from the future is ignored', async () => {
    const ctx = createFakeNightscoutCtx({ now: () => NOW });
    const out = output(ctx);
    ctx.reload();
    expect(await out.newest(signal())).toEqual({});
    const skewed = createFakeNightscoutCtx({ now: () => NOW, entries: [entry(NOW - 20 * MIN), entry(NOW + 3 * 60 * MIN)] });
    const out2 = output(skewed);
    skewed.reload();
    expect((await out2.newest(signal())).entries).toBe(NOW - 20 * MIN);
  });

  it('a waiting gap analysis gives up when its frame is aborted', async () => {
    const out = output(createFakeNightscoutCtx({ now: () => NOW }));
    const controller = new AbortController();
    const pending = out.newest(controller.signal);
    controller.abort(new Error('frame timed out'));
    expect((await rejection(pending)).message).toBe('frame timed out');
  });
});

describe('writes go through the site storage', () => {
  it('writes only what the site lacks: a reading or treatment it holds is not written again', async () => {
    const held = treatment(NOW - 40 * MIN, 'careportal');
    const ctx = createFakeNightscoutCtx({ now: () => NOW, entries: [entry(NOW - 15 * MIN, 110, 'xdrip')], treatments: [{ ...held, identifier: undefined }] });
    const out = output(ctx);
    ctx.reload();
    const b = batch({ entries: [entry(NOW - 15 * MIN), entry(NOW - 10 * MIN), entry(NOW - 5 * MIN)], treatments: [treatment(NOW - 20 * MIN), held] });
    expect(await out.store(b, signal())).toEqual({ stored: 3, duplicates: 2 });
    expect(ctx.entries.calls.flat().map((d) => d.date)).toEqual([NOW - 10 * MIN, NOW - 5 * MIN]);
    expect(ctx.entries.docs[1]).toMatchObject({ sysTime: new Date(NOW - 10 * MIN).toISOString(), type: 'sgv', sgv: 120 });
    await settle();
    expect(await out.store(b, signal())).toEqual({ stored: 0, duplicates: 5 });
    expect(ctx.entries.calls).toHaveLength(1);
    expect(ctx.entries.docs).toHaveLength(3);
    expect(ctx.treatments.docs).toHaveLength(2);
    expect((await out.newest(signal())).entries).toBe(NOW - 5 * MIN);
  });

  it('a batch stored before the site reloaded is upserted by Nightscout, never doubled', async () => {
    const ctx = createFakeNightscoutCtx({ now: () => NOW });
    const out = output(ctx);
    ctx.reload();
    const b = batch({ entries: [entry(NOW - 10 * MIN)], treatments: [treatment(NOW - 20 * MIN)] });
    await out.store(b, signal());
    await out.store(b, signal());
    expect(ctx.entries.docs).toHaveLength(1);
    expect(ctx.treatments.docs).toHaveLength(1);
  });

  it('never inserts one devicestatus twice: not in one run, not after a restart that lost its state', async () => {
    const ctx = createFakeNightscoutCtx({ now: () => NOW });
    const first = output(ctx);
    ctx.reload();
    const s1 = status(NOW - 10 * MIN);
    expect(await first.store(batch({ devicestatus: [s1] }), signal())).toEqual({ stored: 1, duplicates: 0 });
    expect(await first.store(batch({ devicestatus: [s1] }), signal())).toEqual({ stored: 0, duplicates: 1 });
    await settle();

    const restarted = output(ctx);
    ctx.reload();
    const s2 = status(NOW - 5 * MIN);
    expect(await restarted.store(batch({ devicestatus: [s1, s2] }), signal())).toEqual({ stored: 1, duplicates: 1 });
    expect(ctx.devicestatus.docs.map((d) => d.identifier)).toEqual([s1.identifier, s2.identifier]);
  });

  it("another uploader's newer devicestatus (a loop app) does not hold back the pump's own", async () => {
    const ctx = createFakeNightscoutCtx({ now: () => NOW, devicestatus: [{ device: 'openaps://phone', created_at: new Date(NOW - MIN).toISOString() }] });
    const out = output(ctx);
    ctx.reload();
    expect(await out.store(batch({ devicestatus: [status(NOW - 5 * MIN)] }), signal())).toEqual({ stored: 1, duplicates: 0 });
  });

  it('a storage error is a coded NSI001 failure (the batch waits in the dead-letter queue), and the next try writes', async () => {
    const ctx = createFakeNightscoutCtx({ now: () => NOW });
    const out = output(ctx);
    ctx.reload();
    ctx.devicestatus.failNext('MongoNetworkError: connection closed');
    const s = status(NOW - 5 * MIN);
    const err = await rejection(out.store(batch({ devicestatus: [s] }), signal()));
    expect(err.code).toBe('NSI001');
    expect(err.message).toContain("Nightscout's devicestatus storage did not take the write: MongoNetworkError: connection closed");
    expect(await out.store(batch({ devicestatus: [s] }), signal())).toEqual({ stored: 1, duplicates: 0 });
    expect(ctx.devicestatus.docs).toHaveLength(1);
  });
});

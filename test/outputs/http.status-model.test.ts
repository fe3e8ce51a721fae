import { describe, expect, it } from 'vitest';
import { AuthError, UpstreamError } from '../../lib/errors.js';
import { Secret } from '../../lib/secret.js';
import { CACHE_MS, createStatusModel } from '../../outputs/http/cache/model.js';
import type { BridgeInfo } from '../../outputs/http/cache/types.js';
import { done, entry, established, MINUTE, SIM_BRIDGE, transformed } from '../fakes/bridge-events.js';

const T0 = Date.UTC(2025, 0, 1, 12);

function setup(bridges: BridgeInfo[] = [SIM_BRIDGE]) {
  const clock = { now: T0 };
  const model = createStatusModel(bridges, { now: () => clock.now, version: '1.2.3' });
  return { model, clock };
}

describe('status model: readings', () => {
  it('has no reading before the first batch', () => {
    const { model } = setup();
    expect(model.latest()).toBeUndefined();
    expect(model.readings()).toEqual([]);
  });

  it('keeps sensor readings newest first, one per time, with the bridge and source', () => {
    const { model } = setup();
    model.observe(transformed([entry(T0 - 10 * MINUTE, 100), entry(T0 - 5 * MINUTE, 110, 'FortyFiveUp')]));
    model.observe(transformed([entry(T0 - 5 * MINUTE, 111, 'SingleUp'), entry(T0, 120)]));
    expect(model.readings().map((r) => r.sgv)).toEqual([120, 111, 100]);
    expect(model.latest()).toMatchObject({ date: T0, sgv: 120, direction: 'Flat', bridge: 'sim', source: 'simulator', device: 'gluco-hub-simulator' });
  });

  it('ignores meter and calibration entries and entries without a value', () => {
    const { model } = setup();
    model.observe(transformed([{ ...entry(T0, 0), type: 'mbg', sgv: undefined, mbg: 99 }, { ...entry(T0 - MINUTE, 0), sgv: undefined }]));
    expect(model.latest()).toBeUndefined();
  });

  it('never shows a reading dated in the future as the latest (a wrong clock, DLQ004)', () => {
    const { model } = setup();
    model.observe(transformed([entry(T0 - 5 * MINUTE, 100), entry(T0 + 30 * 24 * 60 * MINUTE, 300), entry(T0 + 5 * MINUTE, 105)]));
    expect(model.latest()).toMatchObject({ date: T0 + 5 * MINUTE, sgv: 105 });
    expect(model.readings().map((r) => r.sgv)).toEqual([105, 100]);
  });

  it('answers count and since (after, exclusive)', () => {
    const { model } = setup();
    model.observe(transformed([0, 5, 10, 15, 20].map((m) => entry(T0 - m * MINUTE, 100 + m))));
    expect(model.readings({ count: 2 }).map((r) => r.sgv)).toEqual([100, 105]);
    expect(model.readings({ sinceMs: T0 - 10 * MINUTE }).map((r) => r.sgv)).toEqual([100, 105]);
    expect(model.readings({ sinceMs: T0 - 20 * MINUTE, count: 3 }).map((r) => r.sgv)).toEqual([100, 105, 110]);
  });

  it('never shows a reading older than 24 h, even when no new batch arrives', () => {
    const { model, clock } = setup();
    model.observe(transformed([entry(T0 - CACHE_MS - MINUTE, 90), entry(T0 - MINUTE, 100)]));
    expect(model.readings().map((r) => r.sgv)).toEqual([100]);
    clock.now = T0 + CACHE_MS;
    expect(model.latest()).toBeUndefined();
    expect(model.readings()).toEqual([]);
  });

  it('merges several bridges newest first and ignores unknown bridges', () => {
    const other: BridgeInfo = { ...SIM_BRIDGE, id: 'bob', source: 'linkup' };
    const { model } = setup([SIM_BRIDGE, other]);
    model.observe(transformed([entry(T0 - 2 * MINUTE, 100)]));
    model.observe(transformed([entry(T0 - MINUTE, 200)], 'bob'));
    model.observe(transformed([entry(T0, 300)], 'ghost'));
    expect(model.readings().map((r) => [r.bridge, r.sgv])).toEqual([
      ['bob', 200],
      ['sim', 100],
    ]);
  });
});

describe('status model: readings a previous run saved', () => {
  const saved = (date: number, sgv: number, bridge = 'sim', source = 'simulator') => ({ date, sgv, direction: 'Flat' as const, device: 'gluco-hub-simulator', bridge, source });

  it('starts warm: restored readings count from the first question', () => {
    const { model } = setup();
    model.restore([saved(T0 - 10 * MINUTE, 100), saved(T0 - 5 * MINUTE, 110)]);
    expect(model.readings({ count: 5 }).map((r) => r.sgv)).toEqual([110, 100]);
    expect(model.latest()).toMatchObject({ sgv: 110, bridge: 'sim', source: 'simulator' });
  });

  it('a reading that arrived live wins over the saved copy of the same time', () => {
    const { model } = setup();
    model.observe(transformed([entry(T0 - 5 * MINUTE, 111)]));
    model.restore([saved(T0 - 5 * MINUTE, 110)]);
    expect(model.readings().map((r) => r.sgv)).toEqual([111]);
  });

  it('restores nothing older than 24 h, from the future, of an unknown bridge or of another source under the same id', () => {
    const { model } = setup();
    model.restore([saved(T0 - CACHE_MS - MINUTE, 90), saved(T0 + 60 * MINUTE, 300), saved(T0 - MINUTE, 120, 'ghost'), saved(T0 - 2 * MINUTE, 40, 'sim', 'linkup'), saved(T0, 100)]);
    expect(model.readings().map((r) => r.sgv)).toEqual([100]);
  });
});

describe('status model: health', () => {
  it('starts not ready, with every loop and output known but unknown', () => {
    const { model } = setup();
    const s = model.snapshot();
    expect(s).toMatchObject({ version: '1.2.3', startedMs: T0, nowMs: T0, ready: false });
    expect(s.bridges[0]).toMatchObject({
      id: 'sim',
      source: 'simulator',
      session: 'none',
      ready: false,
      loops: [{ name: 'entries' }],
      outputs: [
        { name: 'filesystem', state: 'unknown', waiting: 0 },
        { name: 'nightscout', state: 'unknown', waiting: 0 },
      ],
    });
  });

  it('is ready with a session and a successful cycle within two intervals + 1 min, and stops being ready after', () => {
    const { model, clock } = setup();
    model.observe(established());
    expect(model.snapshot().ready).toBe(false);
    model.observe(done('success'));
    expect(model.snapshot().ready).toBe(true);
    expect(model.snapshot().bridges[0]?.loops[0]).toMatchObject({ lastOutcome: 'success', lastSuccessMs: T0 });
    clock.now = T0 + 11 * MINUTE;
    expect(model.snapshot().ready).toBe(true);
    clock.now = T0 + 11 * MINUTE + 1;
    expect(model.snapshot().ready).toBe(false);
  });

  it('needs every loop of every bridge', () => {
    const two: BridgeInfo = { ...SIM_BRIDGE, loops: [...SIM_BRIDGE.loops, { name: 'treatments', expectedIntervalMs: 5 * MINUTE }] };
    const { model } = setup([two]);
    model.observe(established());
    model.observe(done('success'));
    expect(model.snapshot().ready).toBe(false);
    model.observe(done('success', 'sim', 'treatments'));
    expect(model.snapshot().ready).toBe(true);
  });

  it('in a fleet counts only the bridges this process runs: none run is a ready standby, a running one must be ready', () => {
    const other: BridgeInfo = { ...SIM_BRIDGE, id: 'other' };
    const here = new Set<string>();
    const model = createStatusModel([SIM_BRIDGE, other], { now: () => T0, version: '1.2.3', runsHere: (id) => here.has(id) });
    expect(model.snapshot().ready).toBe(true);
    here.add('sim');
    expect(model.snapshot().ready).toBe(false);
    model.observe(established());
    model.observe(done('success'));
    expect(model.snapshot().ready).toBe(true);
    here.add('other');
    expect(model.snapshot().ready).toBe(false);
    // Before the bridges are known it is not ready, fleet or not.
    expect(createStatusModel([], { now: () => T0, version: '1.2.3', runsHere: () => false }).snapshot().ready).toBe(false);
  });

  it('records session failures and expiry (message only, never a secret)', () => {
    const { model } = setup();
    model.observe({ type: 'session.failed', bridgeId: 'sim', error: new AuthError('LLU003', `invalid credentials for ${String(new Secret('hunter2'))}`) });
    expect(model.snapshot().bridges[0]).toMatchObject({ session: 'failed', sessionError: '[LLU003] invalid credentials for ***', ready: false });
    model.observe(established());
    model.observe(done('success'));
    model.observe({ type: 'session.expired', bridgeId: 'sim' });
    expect(model.snapshot().bridges[0]).toMatchObject({ session: 'expired', ready: false });
  });

  it('keeps the last error of a failed cycle next to the last success', () => {
    const { model, clock } = setup();
    model.observe(done('success'));
    clock.now += MINUTE;
    model.observe(done('failed', 'sim', 'entries', new UpstreamError('LLU022', 'HTTP 502', 502)));
    expect(model.snapshot().bridges[0]?.loops[0]).toEqual({ name: 'entries', lastOutcome: 'failed', lastSuccessMs: T0, lastError: '[LLU022] HTTP 502' });
  });

  it('tracks each output: ok, queueing into its dead-letter queue, failing', () => {
    const { model } = setup();
    const stored = (output: string, result: object) => model.observe({ type: 'frame.stored', bridgeId: 'sim', loop: 'entries', output, result: { stored: 1, duplicates: 0, ...result } });
    stored('filesystem', {});
    stored('nightscout', { queued: 3, waiting: 3, error: new UpstreamError('NS007', 'HTTP 503', 503) });
    expect(model.snapshot().bridges[0]?.outputs).toEqual([
      { name: 'filesystem', state: 'ok', waiting: 0, lastStoredMs: T0 },
      { name: 'nightscout', state: 'queueing', waiting: 3, lastError: '[NS007] HTTP 503' },
    ]);
    model.observe({ type: 'frame.outputFailed', bridgeId: 'sim', loop: 'entries', output: 'filesystem', error: new Error('[FS002] disk full') });
    expect(model.snapshot().bridges[0]?.outputs[0]).toMatchObject({ state: 'failing', lastError: '[FS002] disk full' });
    stored('nightscout', { waiting: 0 });
    expect(model.snapshot().bridges[0]?.outputs[1]).toMatchObject({ state: 'ok', waiting: 0, lastError: undefined });
  });
});

describe('status model: bridges started and retired at run time (following several people)', () => {
  it('adds a row with its restored readings, and a retired bridge takes its row and readings along', () => {
    const { model } = setup([]);
    expect(model.snapshot()).toMatchObject({ bridges: [], ready: false });
    model.observe(transformed([entry(T0 - MINUTE, 99)]));
    expect(model.readings()).toEqual([]);
    model.add!(SIM_BRIDGE);
    model.restore([{ date: T0 - 5 * MINUTE, sgv: 105, device: 'gluco-hub-simulator', bridge: SIM_BRIDGE.id, source: SIM_BRIDGE.source }]);
    model.observe(established());
    model.observe(transformed([entry(T0, 120)]));
    model.observe(done('success'));
    expect(model.readings().map((r) => r.sgv)).toEqual([120, 105]);
    expect(model.snapshot()).toMatchObject({ bridges: [{ id: SIM_BRIDGE.id, session: 'established' }] });
    model.add!(SIM_BRIDGE);
    expect(model.readings()).toHaveLength(2);
    model.remove!(SIM_BRIDGE.id);
    expect(model.snapshot().bridges).toEqual([]);
    expect(model.readings()).toEqual([]);
  });
});

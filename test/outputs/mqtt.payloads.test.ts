import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIRECTIONS } from '../../lib/domain.js';
import { errorCode } from '../../lib/errors.js';
import { connectionPlan } from '../../outputs/mqtt/connection.js';
import { sensorExpiresField, sensorExpiryOf } from '../../lib/sensor-expiry.js';
import { emptyCounters, glucosePayload, plan, sensorPayload, statsPayload, statusPayload, TREND_OF, type Reading } from '../../outputs/mqtt/payloads.js';
import { glucosePayloadSchema, prefixProblem, sensorPayloadSchema, statsPayloadSchema, statusPayloadSchema, trendSchema } from '../../outputs/mqtt/topics.js';
import { captureLog } from '../fakes/capture-log.js';
import { MIN, outputFor, reading, settings, T0 } from './mqtt.helpers.js';

const r = (date: number, sgv = 144): Reading => ({ ...reading(date, sgv), type: 'sgv', sgv });
const ctx = { bridge: 'home', source: 'linkup', unit: 'mmol' as const, patient: 'Alex' };

describe('MQTT payloads (pure)', () => {
  it('turns a reading into glucose payload v1 with both units, the snake_case trend and ISO + ms dates', () => {
    const p = glucosePayload({ ...r(T0, 144), direction: 'FortyFiveUp', delta: 4 }, ctx);
    expect(p).toEqual({
      v: 1,
      identifier: r(T0).identifier,
      mgdl: 144,
      mmol: 8,
      unit: 'mmol/L',
      value: 8,
      direction: 'FortyFiveUp',
      trend: 'forty_five_up',
      delta: 4,
      date: new Date(T0).toISOString(),
      dateMs: T0,
      device: 'fake-cgm',
      source: 'linkup',
      bridge: 'home',
      patient: 'Alex',
    });
    expect(glucosePayloadSchema.parse(p)).toEqual(p);
    const bare = glucosePayload({ ...r(T0), direction: undefined, delta: undefined }, { ...ctx, unit: 'mgdl', patient: undefined });
    expect(bare).toMatchObject({ direction: null, trend: null, delta: null, unit: 'mg/dL', value: 144 });
    expect(bare).not.toHaveProperty('patient');
  });

  it("keeps Nightscout's finer directions in the payload's trend (v1 is unchanged; HA's coarser states live in discovery), NONE to null", () => {
    for (const d of DIRECTIONS) {
      const t = TREND_OF[d];
      if (d === 'NONE') expect(t).toBeNull();
      else expect(trendSchema.parse(t)).toBe(t);
    }
  });

  it('puts freshness into the status payload (stale itself is decided by stale.ts)', () => {
    const s = statusPayload(T0, T0 + 95_500, 15 * MIN, false);
    expect(statusPayloadSchema.parse(s)).toEqual({ v: 1, stale: false, lastReadingMs: T0, lastReading: new Date(T0).toISOString(), ageSeconds: 95, staleAfterSeconds: 900 });
    expect(statusPayload(undefined, T0, 15 * MIN, true)).toMatchObject({ stale: true, lastReadingMs: null, lastReading: null, ageSeconds: null });
  });

  it('states the sensor end a batch carries on the sensor payload, and none without one', () => {
    const DAY = 24 * 60 * MIN;
    const start = { date: T0 - DAY, device: 'librelinkup', identifier: '00000000-0000-5000-8000-00000000aaaa', eventType: 'Sensor Start', created_at: new Date(T0 - DAY).toISOString(), ...sensorExpiresField(T0 + 13 * DAY) };
    const found = sensorExpiryOf({ entries: [], treatments: [start], devicestatus: [] }, T0);
    expect(found).toEqual({ expiresMs: T0 + 13 * DAY, saidAtMs: T0 - DAY });
    expect(sensorPayloadSchema.parse(sensorPayload(found!))).toEqual({ v: 1, expiresAt: new Date(T0 + 13 * DAY).toISOString(), expiresMs: T0 + 13 * DAY });
    expect(sensorExpiryOf({ entries: [r(T0)], treatments: [], devicestatus: [] }, T0)).toBeUndefined();
    // a field no sensor life can explain (a Nightscout source passes other uploaders' fields through), or a statement from the future
    expect(sensorExpiryOf({ entries: [], treatments: [{ ...start, ...sensorExpiresField(T0 + 90 * DAY) }], devicestatus: [] }, T0)).toBeUndefined();
    expect(sensorExpiryOf({ entries: [], treatments: [{ ...start, sensorExpiresAt: 'soon' }], devicestatus: [] }, T0)).toBeUndefined();
    expect(sensorExpiryOf({ entries: [], treatments: [{ ...start, date: T0 + 2 * DAY }], devicestatus: [] }, T0)).toBeUndefined();
  });

  it('counts into a _stats payload', () => {
    const p = statsPayload({ ...emptyCounters(), readings: 3, lastPublishMs: T0 + 1000 }, T0, T0 + 61_000);
    expect(statsPayloadSchema.parse(p)).toMatchObject({ readings: 3, uptimeSeconds: 61, lastPublishAt: new Date(T0 + 1000).toISOString() });
  });

  it('plans a batch: new readings oldest first to history, glucose only when newer than the retained one', () => {
    const batch = [r(T0 + 10 * MIN), r(T0), r(T0 + 5 * MIN), r(T0 + 5 * MIN)];
    const p = plan(batch, new Set([r(T0).identifier]), T0 + 7 * MIN);
    expect(p.history.map((x) => x.date)).toEqual([T0 + 5 * MIN, T0 + 10 * MIN]);
    expect(p.current?.date).toBe(T0 + 10 * MIN);
    expect(p.duplicates).toBe(2);
    expect(plan([r(T0)], new Set(), T0 + MIN).current).toBeUndefined();
    // A resend whose history went out already still moves glucose forward.
    expect(plan([r(T0 + 2 * MIN)], new Set([r(T0 + 2 * MIN).identifier]), T0 + MIN).current?.date).toBe(T0 + 2 * MIN);
  });
});

describe('MQTT connection settings and start-up errors', () => {
  it.each(['a/#', 'a/+/b', '$SYS/x', 'a//b', '/a', 'a/'])('refuses the topic prefix %j with MQTT001', async (topicPrefix) => {
    expect(prefixProblem(topicPrefix)).toBeDefined();
    const { output } = outputFor(settings('mqtt://127.0.0.1:1', { topicPrefix }));
    await expect(output.start()).rejects.toSatisfy((e) => errorCode(e) === 'MQTT001');
  });

  it('refuses an unreadable certificate file, and a certificate without its key, with MQTT002', async () => {
    const missing = join(tmpdir(), 'gluco-hub-no-such-cert.pem');
    const { output } = outputFor(settings('mqtts://127.0.0.1:1', { tls: { cert: missing, key: missing } }));
    const error = await output.start().catch((e: unknown) => e);
    expect(errorCode(error)).toBe('MQTT002');
    expect(String(error)).toContain('ENOENT');
    expect(() => connectionPlan(settings('mqtts://h', { tls: { cert: missing } }), { bridgeId: 'b', willDelaySeconds: 5 })).toThrow(/MQTT002/);
  });

  it('turns TLS on for mqtts:// and port 8883, reads the mTLS files, and puts the will on _health', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gluco-hub-tls-'));
    for (const f of ['ca', 'cert', 'key']) writeFileSync(join(dir, f), `${f}-pem`);
    const tls = { ca: join(dir, 'ca'), cert: join(dir, 'cert'), key: join(dir, 'key') };
    const s = settings('mqtt://broker.lan:8883', { tls, username: 'u', password: 'p' });
    const p = connectionPlan(s, { bridgeId: 'home', willDelaySeconds: 5 });
    expect(p).toMatchObject({ tls: true, broker: 'mqtts://broker.lan:8883' });
    expect(p.options).toMatchObject({ rejectUnauthorized: true, protocolVersion: 5, username: 'u', password: 'p', clean: true, reconnectPeriod: 0 });
    expect(p.options.cert?.toString()).toBe('cert-pem');
    expect(p.options.will).toMatchObject({ topic: `${s.topicPrefix}/_health`, retain: true, qos: 1, properties: { willDelayInterval: 5 } });
    expect(JSON.parse(String(p.options.will?.payload))).toEqual({ v: 1, online: false });
    expect(connectionPlan(settings('mqtt://broker.lan', { clientId: undefined }), { bridgeId: 'home', willDelaySeconds: 5 })).toMatchObject({ tls: false, options: { clientId: 'gluco-hub-home' } });
    expect(connectionPlan(settings('mqtt://broker.lan:8883', { tls: { enabled: false } }), { bridgeId: 'h', willDelaySeconds: 5 }).tls).toBe(false);
    expect(connectionPlan(settings('mqtt://b', { protocolVersion: '4' }), { bridgeId: 'h', willDelaySeconds: 5 }).options.will).not.toHaveProperty('properties');
  });

  it('refuses a broker URL with credentials in it, or another scheme, at config time', () => {
    expect(() => settings('mqtt://user:pw@broker.lan')).toThrow(/credentials/);
    expect(() => settings('http://broker.lan')).toThrow(/mqtt:\/\//);
  });

  it('starts without a reachable broker (readings queue) and says so without the password', async () => {
    const captured = captureLog();
    const { output } = outputFor(settings('mqtt://127.0.0.1:1', { username: 'u', password: 'very-secret-pw' }), { log: captured.log, startTimeoutMs: 500 });
    await output.start();
    expect(await output.newest(new AbortController().signal)).toEqual({});
    await expect(output.store({ entries: [reading(T0)], treatments: [], devicestatus: [] }, new AbortController().signal)).rejects.toSatisfy(
      (e) => errorCode(e) === 'MQTT005',
    );
    await output.stop();
    expect(captured.text()).toContain('not reachable');
    expect(captured.text()).not.toContain('very-secret-pw');
  });
});

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { entrySchema, treatmentSchema } from '../../lib/domain.js';
import { GlucoHubError, TransformError } from '../../lib/errors.js';
import { syncIdentifier } from '../../lib/identity.js';
import { sensorExpiryOf } from '../../lib/sensor-expiry.js';
import { LLU_ERRORS, lluError } from '../../sources/librelinkup/errors.js';
import { excerpt } from '../../lib/wire.js';
import { accountIdFor } from '../../sources/librelinkup/headers.js';
import { REGION_HOSTS, regionKey, serverBaseUrl } from '../../sources/librelinkup/regions.js';
import { parseLluTimestamp, utcOffsetMinutes } from '../../sources/librelinkup/timestamps.js';
import { LIBRE_SENSOR_LIFE_MS, transformGraph } from '../../sources/librelinkup/transform.js';
import { NOT_COMPUTABLE, trendForArrow } from '../../sources/librelinkup/trend.js';
import { fixture, harness, sha256, USER_ID } from '../fixtures/librelinkup/harness.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MINUTE = 60_000;
const at = (h: number, m: number) => Date.UTC(2026, 10, 22, h, m, 0);

describe('LibreLink Up timestamps', () => {
  it.each([
    ['5/21/2022 1:38:50 PM', Date.UTC(2022, 4, 21, 13, 38, 50)],
    ['11/22/2026 10:15:00 AM', Date.UTC(2026, 10, 22, 10, 15, 0)],
    ['1/2/2026 12:00:00 AM', Date.UTC(2026, 0, 2, 0, 0, 0)],
    ['1/2/2026 12:30:05 PM', Date.UTC(2026, 0, 2, 12, 30, 5)],
    ['12/31/2025 11:59:59 pm', Date.UTC(2025, 11, 31, 23, 59, 59)],
    ['2/29/2024 6:05:00 AM', Date.UTC(2024, 1, 29, 6, 5, 0)],
    ['3/4/2026 17:45:00', Date.UTC(2026, 2, 4, 17, 45, 0)],
  ])('reads %s as UTC', (text, expected) => {
    expect(parseLluTimestamp(text)).toBe(expected);
  });

  it.each(['', 'garbage', '2026-11-22T10:15:00Z', '13/1/2026 1:00:00 PM', '2/30/2026 1:00:00 PM', '2/29/2025 1:00:00 AM', '1/1/2026 13:00:00 PM', '1/1/2026 0:00:00 AM', '1/1/2026 1:60:00 AM'])(
    'rejects %j',
    (text) => {
      expect(parseLluTimestamp(text)).toBeUndefined();
    },
  );

  it('gives the same instant whatever the host time zone (run in child processes)', () => {
    const script = [
      `const { parseLluTimestamp } = await import(${JSON.stringify(join(ROOT, 'sources/librelinkup/timestamps.ts'))});`,
      `console.log(JSON.stringify([new Date(Date.UTC(2026, 10, 22)).getTimezoneOffset(), parseLluTimestamp('3/29/2026 2:30:00 AM'), parseLluTimestamp('11/1/2026 1:30:00 AM')]));`,
    ].join('\n');
    const run = (tz: string) =>
      JSON.parse(
        execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, TZ: tz }, encoding: 'utf8' }),
      ) as [number, number, number];
    const expected = [Date.UTC(2026, 2, 29, 2, 30), Date.UTC(2026, 10, 1, 1, 30)];
    const hostOffsets = { 'America/New_York': 300, 'Asia/Kolkata': -330, 'Europe/Berlin': -60, UTC: 0 };
    for (const [tz, hostOffset] of Object.entries(hostOffsets)) {
      const [offset, ...parsed] = run(tz);
      expect(offset).toBe(hostOffset);
      // These instants fall on DST switches in New York / Berlin: a local-time parser would shift or skip them.
      expect(parsed).toEqual(expected);
    }
  });

  it.each([
    ['11/22/2026 11:15:00 AM', '11/22/2026 10:15:00 AM', 60],
    ['11/22/2026 5:15:00 AM', '11/22/2026 10:15:00 AM', -300],
    ['11/22/2026 3:45:00 PM', '11/22/2026 10:15:00 AM', 330],
    ['11/22/2026 4:00:00 PM', '11/22/2026 10:15:00 AM', 345],
    ['11/22/2026 11:15:07 AM', '11/22/2026 10:14:58 AM', 60],
    ['11/23/2026 12:15:00 AM', '11/22/2026 10:15:00 AM', 840],
  ])('utcOffset of local %s vs UTC %s is %i min', (local, utc, minutes) => {
    expect(utcOffsetMinutes(parseLluTimestamp(local)!, parseLluTimestamp(utc)!)).toBe(minutes);
  });

  it('drops an implausible offset', () => {
    expect(utcOffsetMinutes(at(10, 0) + 20 * 60 * MINUTE, at(10, 0))).toBeUndefined();
  });
});

describe('LibreLink Up trend arrows', () => {
  it.each([
    [1, 'SingleDown', 6],
    [2, 'FortyFiveDown', 5],
    [3, 'Flat', 4],
    [4, 'FortyFiveUp', 3],
    [5, 'SingleUp', 2],
  ])('maps %i to %s / %i', (arrow, direction, trend) => {
    expect(trendForArrow(arrow)).toEqual({ direction, trend });
  });

  it.each([0, 6, -1, null, undefined])('maps %s to NOT COMPUTABLE, never Flat', (arrow) => {
    expect(trendForArrow(arrow)).toEqual(NOT_COMPUTABLE);
    expect(NOT_COMPUTABLE).toEqual({ direction: 'NOT COMPUTABLE', trend: 8 });
  });
});

describe('LibreLink Up graph → Nightscout', () => {
  it('merges the current reading with the history, sorted, identified and valid', () => {
    const batch = transformGraph(fixture('graph'), 'librelinkup');
    expect(batch.entries.map((e) => [e.date, e.sgv])).toEqual([
      [at(9, 50), 118],
      [at(9, 55), 121],
      [at(10, 15), 132],
    ]);
    for (const entry of batch.entries) {
      expect(entrySchema.parse(entry)).toBeTruthy();
      expect(entry).toMatchObject({ type: 'sgv', device: 'librelinkup', app: 'gluco-hub', utcOffset: 60 });
      expect(entry.identifier).toBe(syncIdentifier({ device: 'librelinkup', date: entry.date }));
      expect(entry.dateString).toBe(new Date(entry.date).toISOString());
    }
    expect(batch.devicestatus).toEqual([]);
  });

  it('gives the current reading its arrow and history points no direction at all', () => {
    const [first, second, current] = transformGraph(fixture('graph')).entries;
    expect(current).toMatchObject({ direction: 'FortyFiveUp', trend: 3 });
    for (const point of [first!, second!]) {
      expect(point).not.toHaveProperty('direction');
      expect(point).not.toHaveProperty('trend');
    }
  });

  it('lets the current reading win over a graph point with the same timestamp', () => {
    const raw = fixture('graph');
    const history = raw.data.graphData as object[];
    history.push({ ...history[0], FactoryTimestamp: '11/22/2026 10:15:00 AM', Timestamp: '11/22/2026 11:15:00 AM', ValueInMgPerDl: 130 });
    history.push({ ...history[0] });
    const entries = transformGraph(raw).entries;
    expect(entries).toHaveLength(3);
    expect(entries[2]).toMatchObject({ date: at(10, 15), sgv: 132, direction: 'FortyFiveUp' });
  });

  it('falls back to glucoseItem, and marks a missing arrow NOT COMPUTABLE on the current reading', () => {
    const raw = fixture('graph');
    raw.data.connection.glucoseMeasurement = null;
    raw.data.connection.glucoseItem.TrendArrow = 1;
    expect(transformGraph(raw).entries.at(-1)).toMatchObject({ sgv: 132, direction: 'SingleDown', trend: 6 });
    delete raw.data.connection.glucoseItem.TrendArrow;
    expect(transformGraph(raw).entries.at(-1)).toMatchObject({ direction: 'NOT COMPUTABLE', trend: 8 });
    delete raw.data.connection.glucoseItem;
    expect(transformGraph(raw).entries).toHaveLength(2);
  });

  it('does not filter by the window: the graph back-fills late and outputs dedupe by identifier', () => {
    const loop = harness().driver.loops[0]!;
    const batch = loop.transform(fixture('graph'), { fromMs: at(10, 10), toMs: at(10, 20) });
    expect(batch.entries.map((e) => e.date)).toEqual([at(9, 50), at(9, 55), at(10, 15)]);
    expect(batch.treatments).toHaveLength(1);
  });

  it('makes one Sensor Start per activation, naming the serial', () => {
    const raw = fixture('graph');
    (raw.data.activeSensors as unknown[]).push({ sensor: { sn: '0NEWSENSOR9', a: 1_763_700_000 } }, { sensor: { sn: '0ABCDEF123', a: 1_763_500_000 } }, { sensor: { a: 0 } }, { sensor: null });
    const { treatments } = transformGraph(raw, 'librelinkup');
    expect(treatments.map((t) => [t.date, t.notes])).toEqual([
      [1_763_500_000_000, 'FreeStyle Libre sensor 0ABCDEF123'],
      [1_763_700_000_000, 'FreeStyle Libre sensor 0NEWSENSOR9'],
    ]);
    for (const treatment of treatments) {
      expect(treatmentSchema.parse(treatment)).toBeTruthy();
      expect(treatment).toMatchObject({ eventType: 'Sensor Start', device: 'librelinkup', app: 'gluco-hub', created_at: new Date(treatment.date).toISOString() });
      expect(treatment.identifier).toBe(syncIdentifier({ device: 'librelinkup', date: treatment.date, eventType: 'Sensor Start' }));
    }
  });

  it('states the sensor end on its Sensor Start, activation + 14 days, without touching its identity', () => {
    const { treatments } = transformGraph(fixture('graph'), 'librelinkup');
    expect(treatments).toHaveLength(1);
    const [start] = treatments;
    expect(start!.date).toBe(1_763_500_000_000);
    expect(start).toMatchObject({ sensorExpiresAt: new Date(1_763_500_000_000 + 14 * 24 * 3_600_000).toISOString() });
    expect(start!.identifier).toBe(syncIdentifier({ device: 'librelinkup', date: start!.date, eventType: 'Sensor Start' }));
    expect(sensorExpiryOf(transformGraph(fixture('graph')), 1_763_806_500_000)).toEqual({ expiresMs: 1_763_500_000_000 + LIBRE_SENSOR_LIFE_MS, saidAtMs: 1_763_500_000_000 });
  });

  it('passes unknown fields and tolerates missing optional parts', () => {
    const raw = fixture('graph');
    raw.data.somethingNew = { x: 1 };
    raw.data.graphData[0].NewField = 'y';
    delete raw.data.activeSensors;
    delete raw.data.connection.sensor;
    delete raw.data.graphData[1].Timestamp;
    const batch = transformGraph(raw);
    expect(batch.entries).toHaveLength(3);
    expect(batch.entries[1]).not.toHaveProperty('utcOffset');
    expect(batch.treatments).toEqual([]);
  });

  it.each([
    ['an HTML string', '<html>Access denied</html>', 'LLU026'],
    ['a bare error body', { status: 4, error: { message: 'couldNotLoadPatient' } }, 'LLU026'],
    ['a value that is not a number', (() => { const r = fixture('graph'); r.data.graphData[0].ValueInMgPerDl = '118'; return r; })(), 'LLU026'],
    ['an unreadable timestamp', (() => { const r = fixture('graph'); r.data.graphData[0].FactoryTimestamp = '2026-11-22 09:50'; return r; })(), 'LLU027'],
  ])('throws a coded TransformError on %s', (_name, raw, code) => {
    let error: unknown;
    try {
      transformGraph(raw, 'librelinkup');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TransformError);
    expect((error as TransformError).code).toBe(code);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

describe('LibreLink Up regions, headers and errors', () => {
  it('knows every region host and the UK/GB alias', () => {
    expect(Object.keys(REGION_HOSTS).sort()).toEqual(['AE', 'AP', 'AU', 'CA', 'CN', 'DE', 'EU', 'EU2', 'FR', 'JP', 'LA', 'RU', 'US']);
    expect(regionKey('uk')).toBe('EU2');
    expect(regionKey('GB')).toBe('EU2');
    expect(regionKey(' eu2 ')).toBe('EU2');
    expect(regionKey('xx')).toBeUndefined();
    expect(REGION_HOSTS.RU).toBe('api.libreview.ru');
  });

  it('reads server as host[:port] (https) or a full URL', () => {
    expect(serverBaseUrl('api-eu.libreview.io')).toBe('https://api-eu.libreview.io');
    expect(serverBaseUrl('localhost:8443')).toBe('https://localhost:8443');
    expect(serverBaseUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(serverBaseUrl('https://proxy.example.test/llu/')).toBe('https://proxy.example.test/llu');
    expect(() => serverBaseUrl('ftp://x')).toThrow(/LLU002/);
    expect(() => serverBaseUrl('http://user:pw@host')).toThrow(/LLU002/);
  });

  it('hashes the user id as lowercase hex SHA-256 of the UUID with dashes', () => {
    expect(accountIdFor(USER_ID)).toBe(sha256(USER_ID));
    expect(accountIdFor(USER_ID)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('has a contiguous code table whose every entry builds a coded error with a hint', () => {
    const codes = Object.keys(LLU_ERRORS);
    expect(codes).toEqual(codes.map((_c, i) => `LLU${String(i + 1).padStart(3, '0')}`));
    for (const code of codes as (keyof typeof LLU_ERRORS)[]) {
      const error = lluError(code, { cause: new Error('x') });
      expect(error).toBeInstanceOf(GlucoHubError);
      expect(error.code).toBe(code);
      expect(error.hint).toBeTruthy();
    }
  });

  it('masks credential fields in body excerpts and keeps them short', () => {
    const text = excerpt(JSON.stringify({ status: 0, data: { authTicket: { token: 'eyJhbGci.secret' }, user: { email: 'follower@example.test' } } }));
    expect(text).toBe('{"status":0,"data":{"authTicket":{"token":"***"},"user":{"email":"***"}}}');
    expect(excerpt(JSON.stringify(fixture('graph'))).length).toBeLessThanOrEqual(161);
  });
});

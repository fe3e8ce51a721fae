import { describe, expect, it } from 'vitest';
import { TransformError } from '../../lib/errors.js';
import { syncIdentifier } from '../../lib/identity.js';
import { sensorExpiryOf } from '../../lib/sensor-expiry.js';
import { guessOffsetMs, pumpClock, wallClockMs } from '../../sources/carelink/clock.js';
import { transformPatientData } from '../../sources/carelink/transform.js';
import { trendFor } from '../../sources/carelink/trend.js';
import { fixture, patientData, rejection } from '../fixtures/carelink/harness.js';

const MIN = 60_000;
/** The fixture's `lastMedicalDeviceDataUpdateServerTime`: 2025-11-22T10:17:00Z. */
const UPDATE = 1_763_806_620_000;
const at = (iso: string): number => Date.parse(iso);

/** The fixture with its pump clock in a zone `zone` minutes east of UTC (wall times shifted to match). */
function inZone(zoneMinutes: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const wall = (utcIso: string): string => new Date(at(utcIso) + zoneMinutes * MIN).toISOString().replace('Z', '-00:00');
  return patientData({
    sMedicalDeviceTime: wall('2025-11-22T10:17:00Z'),
    lastSG: { sg: 145, timestamp: wall('2025-11-22T10:15:00Z'), kind: 'SG' },
    sgs: [
      { sg: 0, timestamp: wall('2025-11-22T10:05:00Z'), kind: 'SG', sensorState: 'WARM_UP' },
      { sg: 139, timestamp: wall('2025-11-22T10:10:00Z'), kind: 'SG' },
      { sg: 145, timestamp: wall('2025-11-22T10:15:00Z'), kind: 'SG' },
    ],
    markers: [
      { type: 'INSULIN', index: 1, timestamp: wall('2025-11-22T09:40:00Z'), data: { dataValues: { bolusType: 'FAST', activationType: 'RECOMMENDED', programmedFastAmount: 2.5, deliveredFastAmount: 2.5, completed: true } } },
      { type: 'MEAL', index: 1, timestamp: wall('2025-11-22T09:40:00Z'), data: { dataValues: { amount: 30 } } },
    ],
    activeInsulin: { amount: 1.85, datetime: wall('2025-11-22T10:15:00Z') },
    ...extra,
  });
}

describe('CareLink pump clock', () => {
  it('reads the wall clock of ISO strings (ignoring their untrustworthy suffix) and of the old "Nov 22, 2026 11:15:00" form', () => {
    expect(wallClockMs('2026-11-22T11:15:00.000-00:00')).toBe(at('2026-11-22T11:15:00Z'));
    expect(wallClockMs('2026-11-22T11:15:00.000+05:30')).toBe(at('2026-11-22T11:15:00Z'));
    expect(wallClockMs('2026-11-22T11:15:00Z')).toBe(at('2026-11-22T11:15:00Z'));
    expect(wallClockMs(fixture<{ datetime: string }>('classic-sg').datetime)).toBe(at('2026-11-22T11:15:00Z'));
    expect(wallClockMs('Nov 22, 2026 1:15:00 PM')).toBe(at('2026-11-22T13:15:00Z'));
    expect(wallClockMs('yesterday')).toBeUndefined();
    expect(wallClockMs('2026-13-22T11:15:00')).toBeUndefined();
  });

  it('guesses the offset rounded to 15 minutes: +05:30 stays +05:30 (hour rounding would make it +6 h), −03:30 and +05:45 too', () => {
    const server = at('2025-11-22T10:17:00Z');
    expect(guessOffsetMs('2025-11-22T15:47:00.000-00:00', server)).toBe(330 * MIN);
    // A pump clock a few minutes off still lands on its zone.
    expect(guessOffsetMs('2025-11-22T15:51:00.000-00:00', server)).toBe(330 * MIN);
    expect(guessOffsetMs('2025-11-22T16:02:00.000-00:00', server)).toBe(345 * MIN);
    expect(guessOffsetMs('2025-11-22T06:47:00.000-00:00', server)).toBe(-210 * MIN);
    expect(guessOffsetMs(undefined, server)).toBeUndefined();
    expect(pumpClock('2025-11-22T15:47:00.000-00:00', server).zoneMinutes).toBe(330);
  });

  it('a pump clock far from any zone (set a year wrong) still dates readings by the server, without a utcOffset', () => {
    const clock = pumpClock('2026-11-22T11:17:00.000-00:00', UPDATE);
    expect(clock.zoneMinutes).toBeUndefined();
    expect(clock.toUtc('2026-11-22T11:15:00.000-00:00')).toBe(at('2025-11-22T10:15:00Z'));
  });

  it('without a pump clock, a zone the string carries is used; an unreadable time is CL022', async () => {
    const clock = pumpClock(undefined, UPDATE);
    expect(clock.toUtc('2025-11-22T11:15:00+01:00')).toBe(at('2025-11-22T10:15:00Z'));
    const error = await rejection(Promise.resolve().then(() => clock.toUtc('soon')));
    expect(error).toBeInstanceOf(TransformError);
    expect(error.code).toBe('CL022');
  });
});

describe('CareLink trend', () => {
  it('maps every lastSGTrend, TripleUp/TripleDown included; unknown values get no arrow', () => {
    expect(trendFor('UP_TRIPLE')).toEqual({ direction: 'TripleUp', trend: 1 });
    expect(trendFor('UP_DOUBLE')).toEqual({ direction: 'DoubleUp', trend: 1 });
    expect(trendFor('UP')).toEqual({ direction: 'SingleUp', trend: 2 });
    expect(trendFor('NONE')).toEqual({ direction: 'Flat', trend: 4 });
    expect(trendFor('DOWN')).toEqual({ direction: 'SingleDown', trend: 6 });
    expect(trendFor('DOWN_DOUBLE')).toEqual({ direction: 'DoubleDown', trend: 7 });
    expect(trendFor('DOWN_TRIPLE')).toEqual({ direction: 'TripleDown', trend: 7 });
    expect(trendFor('SIDEWAYS')).toBeUndefined();
    expect(trendFor(undefined)).toBeUndefined();
  });
});

describe('CareLink transform', () => {
  it('the spec fixture: sg 0 skipped, the newest gets lastSGTrend, times from the guessed offset, one meal bolus, one devicestatus', () => {
    const batch = transformPatientData(fixture<{ patientData: unknown }>('display-message').patientData);
    expect(batch.entries.map((e) => [e.dateString, e.sgv, e.direction])).toEqual([
      ['2025-11-22T10:10:00.000Z', 139, undefined],
      ['2025-11-22T10:15:00.000Z', 145, 'SingleUp'],
    ]);
    expect(batch.entries[1]).toMatchObject({ type: 'sgv', trend: 2, device: 'carelink', identifier: syncIdentifier({ device: 'carelink', date: at('2025-11-22T10:15:00Z') }) });
    expect(batch.treatments).toEqual([
      expect.objectContaining({ eventType: 'Meal Bolus', carbs: 30, insulin: 2.5, date: at('2025-11-22T09:40:00Z'), created_at: '2025-11-22T09:40:00.000Z' }),
    ]);
    expect(batch.devicestatus).toHaveLength(1);
  });

  it('+05:30: readings, treatments and the pump clock land on the right UTC instants with utcOffset 330', () => {
    const batch = transformPatientData(inZone(330));
    expect(batch.entries.map((e) => [e.date, e.utcOffset])).toEqual([
      [at('2025-11-22T10:10:00Z'), 330],
      [at('2025-11-22T10:15:00Z'), 330],
    ]);
    expect(batch.treatments[0]).toMatchObject({ date: at('2025-11-22T09:40:00Z'), utcOffset: 330 });
    expect(batch.devicestatus[0]).toMatchObject({ utcOffset: 330, pump: { clock: '2025-11-22T10:17:00.000Z', iob: { bolusiob: 1.85, timestamp: '2025-11-22T10:15:00.000Z' } } });
  });

  it('the offset comes from the device clock at the last upload, so data 30 minutes old is not shifted; stale data sends no devicestatus', () => {
    const stale = inZone(60, { currentServerTime: UPDATE + 30 * MIN });
    const batch = transformPatientData(stale);
    expect(batch.entries.map((e) => e.date)).toEqual([at('2025-11-22T10:10:00Z'), at('2025-11-22T10:15:00Z')]);
    expect(batch.devicestatus).toEqual([]);
    expect(transformPatientData(inZone(60, { currentServerTime: UPDATE + 19 * MIN })).devicestatus).toHaveLength(1);
  });

  it('devicestatus: dated by the server update time, uploader and pump battery, reservoir, IOB, SmartGuard and sensor state', () => {
    const [status] = transformPatientData(inZone(60, { pumpBannerState: [{ type: 'SUSPENDED_ON_LOW', timeRemaining: 30 }], basal: { activeBasalPattern: 'PATTERN_1', basalRate: 0.8 } })).devicestatus;
    expect(status).toMatchObject({
      date: UPDATE,
      created_at: new Date(UPDATE).toISOString(),
      identifier: syncIdentifier({ device: 'carelink', date: UPDATE }),
      uploaderBattery: 71,
      uploader: { battery: 71 },
      pump: {
        battery: { percent: 100 },
        reservoir: 123.5,
        reservoir_percent: 50,
        iob: { bolusiob: 1.85 },
        status: { status: 'suspended', suspended: true },
        extended: { SmartGuard: 'AUTO_BASAL', SuspendOnLow: 'MONITORING', ActiveBasalPattern: 'PATTERN_1', BasalRate: 0.8, SensorState: 'NO_ERROR_MESSAGE' },
        model: 'MMT-1886',
      },
      connect: { sensorState: 'NO_ERROR_MESSAGE', calibStatus: 'UNKNOWN', sensorDurationHours: 97, conduitInRange: true, smartGuard: 'AUTO_BASAL' },
      // The sensor's remaining 97 h, counted from the upload.
      sensorExpiresAt: new Date(UPDATE + 97 * 3_600_000).toISOString(),
    });
    // An unknown IOB (negative) is left out rather than shown as owed insulin.
    expect(transformPatientData(inZone(60, { activeInsulin: { amount: -1 } })).devicestatus[0]!.pump).not.toHaveProperty('iob');
  });

  it('states the sensor end only when CareLink counts hours left', () => {
    const end = (fields: Record<string, unknown>) => transformPatientData(inZone(0, fields)).devicestatus[0]?.sensorExpiresAt;
    expect(end({ sensorDurationHours: 0 })).toBeUndefined();
    expect(end({ sensorDurationHours: null })).toBeUndefined();
    expect(end({ sensorDurationHours: null, sensorDurationMinutes: 90 })).toBe(new Date(UPDATE + 90 * 60_000).toISOString());
    expect(sensorExpiryOf(transformPatientData(inZone(0, { sensorDurationHours: 5 })), UPDATE)).toEqual({ expiresMs: UPDATE + 5 * 3_600_000, saidAtMs: UPDATE });
  });

  it('a Guardian (no pump): no pump block, its own battery as the uploader battery', () => {
    const [status] = transformPatientData(inZone(0, { medicalDeviceFamily: 'GUARDIAN', pumpModelNumber: null, reservoirRemainingUnits: null, medicalDeviceBatteryLevelPercent: 40 })).devicestatus;
    expect(status).not.toHaveProperty('pump');
    expect(status).toMatchObject({ uploaderBattery: 40, connect: { medicalDeviceFamily: 'GUARDIAN' } });
  });

  it('direction only on the newest SG, and none when the newest SG is 0', () => {
    const newestZero = inZone(0, { lastSGTrend: 'DOWN_TRIPLE', lastSG: null, sgs: [{ sg: 120, timestamp: '2025-11-22T10:10:00.000-00:00' }, { sg: 0, timestamp: '2025-11-22T10:15:00.000-00:00' }] });
    expect(transformPatientData(newestZero).entries.map((e) => e.direction)).toEqual([undefined]);
    const triple = transformPatientData(inZone(0, { lastSGTrend: 'DOWN_TRIPLE' })).entries;
    expect(triple.map((e) => e.direction)).toEqual([undefined, 'TripleDown']);
  });

  it('markers: meal + bolus by index, auto correction, BG reading and calibration at one time = one BG Check, auto basal skipped; stable identifiers', () => {
    const data = inZone(0, {
      markers: [
        // Old format: fields at the top level and `dateTime`.
        { type: 'MEAL', index: 4, dateTime: '2025-11-22T08:00:00.000-00:00', amount: 50 },
        { type: 'INSULIN', index: 4, dateTime: '2025-11-22T08:01:00.000-00:00', bolusType: 'FAST', programmedFastAmount: 5, deliveredFastAmount: '4.5', completed: false },
        { type: 'INSULIN', index: 5, timestamp: '2025-11-22T09:00:00.000-00:00', data: { dataValues: { activationType: 'AUTOCORRECTION', deliveredFastAmount: 0.4 } } },
        { type: 'INSULIN', index: 6, timestamp: '2025-11-22T09:10:00.000-00:00', data: { dataValues: { activationType: 'MANUAL', deliveredFastAmount: 0 } } },
        { type: 'BG_READING', index: 7, timestamp: '2025-11-22T07:00:00.000-00:00', data: { dataValues: { unitValue: 131 } } },
        { type: 'CALIBRATION', index: 8, timestamp: '2025-11-22T07:00:00.000-00:00', data: { dataValues: { unitValue: 131 } } },
        { type: 'AUTO_BASAL_DELIVERY', index: 9, timestamp: '2025-11-22T09:05:00.000-00:00', data: { dataValues: { bolusAmount: 0.025 } } },
        { type: 'AUTO_MODE_STATUS', index: 10, timestamp: '2025-11-22T09:06:00.000-00:00', data: { dataValues: { autoModeOn: true } } },
      ],
    });
    const first = transformPatientData(data).treatments;
    expect(first.map((t) => [t.eventType, t.created_at])).toEqual([
      ['BG Check', '2025-11-22T07:00:00.000Z'],
      ['Meal Bolus', '2025-11-22T08:00:00.000Z'],
      ['Correction Bolus', '2025-11-22T09:00:00.000Z'],
    ]);
    expect(first[0]).toMatchObject({ glucose: 131, glucoseType: 'Finger', units: 'mg/dl' });
    expect(first[1]).toMatchObject({ carbs: 50, insulin: 4.5, programmed: 5, notes: 'bolus not completed' });
    expect(first[2]).toMatchObject({ insulin: 0.4, automatic: true });
    expect(transformPatientData(data).treatments.map((t) => t.identifier)).toEqual(first.map((t) => t.identifier));
    expect(new Set(first.map((t) => t.identifier)).size).toBe(first.length);
  });

  it('the classic connect/data answer (old "Nov 22, 2026 11:15:00" items) transforms the same way', () => {
    const classic = { currentServerTime: UPDATE + 2 * MIN, lastMedicalDeviceDataUpdateServerTime: UPDATE, sMedicalDeviceTime: 'Nov 22, 2025 11:17:00', lastSGTrend: 'NONE', sgs: [{ ...fixture('classic-sg'), datetime: 'Nov 22, 2025 11:15:00' }], medicalDeviceFamily: 'GUARDIAN' };
    const batch = transformPatientData(classic);
    expect(batch.entries).toEqual([expect.objectContaining({ sgv: 128, date: at('2025-11-22T10:15:00Z'), utcOffset: 60, direction: 'Flat' })]);
  });

  it('mmol/L values (below the 40 mg/dL sensor floor) are converted; mg/dL values with an mmol label are not', () => {
    const batch = transformPatientData(inZone(0, { bgUnits: 'MMOL_L', lastSG: null, sgs: [{ sg: 7.8, timestamp: '2025-11-22T10:10:00.000-00:00' }, { sg: 145, timestamp: '2025-11-22T10:15:00.000-00:00' }] }));
    expect(batch.entries.map((e) => e.sgv)).toEqual([141, 145]);
  });

  it('a payload of the wrong shape is CL021; no data at all is an empty batch', async () => {
    const bad = await rejection(Promise.resolve().then(() => transformPatientData({ sgs: 'nope' })));
    expect(bad).toBeInstanceOf(TransformError);
    expect(bad.code).toBe('CL021');
    expect(transformPatientData({ currentServerTime: UPDATE })).toEqual({ entries: [], treatments: [], devicestatus: [] });
  });
});

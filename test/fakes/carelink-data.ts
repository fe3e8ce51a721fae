/**
 * What the fake CareLink server (carelink-server.ts) serves as patient data: the last 24 h of
 * 5-minute SGs and a pump day of markers, written the way CareLink writes them — the pump's local
 * wall clock with a `-00:00` suffix that must not be trusted.
 */

import { tickAtOrBefore } from './llu-wire.js';

export const FIVE_MIN = 5 * 60_000;
const HOUR = 60 * 60_000;

export interface ServedSg {
  /** The true UTC time. */
  date: number;
  sg: number;
}

export interface PumpDay {
  patientData: Record<string, unknown>;
  /** Every non-zero SG served, by its true UTC time. */
  served: ServedSg[];
  /** True UTC times of the meal, the auto correction and the BG reading. */
  markers: { meal: number; correction: number; bg: number };
}

/** Deterministic in time; every 50th tick is a warm-up gap (`sg: 0`). */
export function sgAt(ms: number): number {
  const k = Math.round(ms / FIVE_MIN);
  if (k % 50 === 0) return 0;
  return 130 + Math.round(45 * Math.sin(k / 11));
}

/** Pump-local wall clock of a UTC instant, spelt like CareLink (`2026-11-22T16:45:00.000-00:00`). */
export function pumpTime(utcMs: number, zoneMinutes: number): string {
  return new Date(utcMs + zoneMinutes * 60_000).toISOString().replace('Z', '-00:00');
}

export interface PumpDayOptions {
  now: number;
  /** The pump's zone, minutes east of UTC (330 = India). */
  zoneMinutes: number;
  /** How long ago the pump last uploaded. */
  uploadAgeMs: number;
  phaseMs?: number;
}

export function pumpDay(options: PumpDayOptions): PumpDay {
  const { now, zoneMinutes } = options;
  const update = tickAtOrBefore(now - options.uploadAgeMs, FIVE_MIN, options.phaseMs ?? 0) + 2 * 60_000;
  const local = (ms: number): string => pumpTime(ms, zoneMinutes);
  const newest = tickAtOrBefore(update, FIVE_MIN, options.phaseMs ?? 0);
  const sgs: Record<string, unknown>[] = [];
  const served: ServedSg[] = [];
  for (let t = newest - 287 * FIVE_MIN; t <= newest; t += FIVE_MIN) {
    const sg = sgAt(t);
    sgs.push({ sg, timestamp: local(t), kind: 'SG', version: 1, sensorState: sg === 0 ? 'WARM_UP' : 'NO_ERROR_MESSAGE' });
    if (sg > 0) served.push({ date: t, sg });
  }
  const meal = newest - 3 * HOUR;
  const correction = newest - 90 * 60_000;
  const bg = newest - 6 * HOUR;
  const markers = [
    { type: 'MEAL', index: 7, timestamp: local(meal), data: { dataValues: { amount: 45 } } },
    { type: 'INSULIN', index: 7, timestamp: local(meal), data: { dataValues: { bolusType: 'FAST', activationType: 'RECOMMENDED', programmedFastAmount: 4.5, deliveredFastAmount: 4.5, completed: true } } },
    { type: 'INSULIN', index: 8, timestamp: local(correction), data: { dataValues: { bolusType: 'FAST', activationType: 'AUTOCORRECTION', programmedFastAmount: 0.6, deliveredFastAmount: 0.6, completed: true } } },
    { type: 'BG_READING', index: 9, timestamp: local(bg), data: { dataValues: { unitValue: 142, bgUnits: 'MGDL' } } },
    { type: 'AUTO_BASAL_DELIVERY', index: 10, timestamp: local(newest - 5 * FIVE_MIN), data: { dataValues: { bolusAmount: 0.025 } } },
  ];
  const newestSg = sgs[sgs.length - 1]!;
  return {
    served,
    markers: { meal, correction, bg },
    patientData: {
      kind: 'BLENGP',
      version: 2,
      pumpModelNumber: 'MMT-1886',
      medicalDeviceFamily: 'NGP',
      currentServerTime: now,
      lastMedicalDeviceDataUpdateServerTime: update,
      sMedicalDeviceTime: local(update),
      conduitBatteryLevel: 71,
      conduitBatteryStatus: 'MEDIUM',
      conduitInRange: true,
      conduitMedicalDeviceInRange: true,
      conduitSensorInRange: true,
      pumpCommunicationState: true,
      sensorState: 'NO_ERROR_MESSAGE',
      systemStatusMessage: 'NO_ERROR_MESSAGE',
      medicalDeviceBatteryLevelPercent: 100,
      reservoirRemainingUnits: 123.5,
      reservoirLevelPercent: 50,
      sensorDurationHours: 97,
      timeToNextCalibHours: 255,
      calibStatus: 'UNKNOWN',
      bgUnits: 'MGDL',
      lastSGTrend: 'DOWN_TRIPLE',
      lastSG: newestSg,
      sgs,
      activeInsulin: { amount: 1.85, datetime: local(update), kind: 'Insulin', precision: 'EXACT', code: 0 },
      therapyAlgorithmState: { autoModeShieldState: 'AUTO_BASAL', autoModeReadinessState: 'NO_ACTION_REQUIRED', plgmLgsState: 'MONITORING', safeBasalDuration: 0, waitToCalibrateDuration: 0 },
      markers,
    },
  };
}

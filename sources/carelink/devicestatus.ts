import type { DeviceStatus } from '../../lib/domain.js';
import { sensorExpiresField } from '../../lib/sensor-expiry.js';
import type { PumpClock } from './clock.js';
import { stamp } from './stamp.js';
import { dataAgeMs, STALE_AFTER_MS, type PatientData } from './patient-data.js';

/**
 * Pump and uploader status → one devicestatus per upload, dated by the server's update time
 * (`lastMedicalDeviceDataUpdateServerTime`), never by "now": polling the same upload again yields
 * the same identifier. Data more than 20 minutes old at the server is not sent as current status.
 */

/** Drops undefined and null fields, so documents carry only what CareLink said. */
function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

const SUSPENDED = /SUSPEND/i;

function pumpBlock(data: PatientData, clock: PumpClock): Record<string, unknown> {
  const iob = data.activeInsulin?.amount;
  const deviceTime = data.sMedicalDeviceTime ?? data.medicalDeviceTimeAsString ?? undefined;
  const suspended = (data.pumpBannerState ?? []).some((b) => b.type !== undefined && b.type !== null && SUSPENDED.test(b.type));
  const algorithm = data.therapyAlgorithmState;
  return compact({
    battery: data.medicalDeviceBatteryLevelPercent == null ? undefined : { percent: data.medicalDeviceBatteryLevelPercent },
    reservoir: data.reservoirRemainingUnits ?? data.reservoirAmount,
    reservoir_percent: data.reservoirLevelPercent,
    // A negative amount means "unknown", not "owed insulin".
    iob:
      iob == null || iob < 0
        ? undefined
        : compact({ bolusiob: iob, timestamp: data.activeInsulin?.datetime ? new Date(clock.toUtc(data.activeInsulin.datetime)).toISOString() : undefined }),
    clock: deviceTime && clock.offsetMs !== undefined ? new Date(clock.toUtc(deviceTime)).toISOString() : undefined,
    status: { status: suspended ? 'suspended' : 'normal', suspended, bolusing: false },
    extended: compact({
      SmartGuard: algorithm?.autoModeShieldState,
      SmartGuardReadiness: algorithm?.autoModeReadinessState,
      SuspendOnLow: algorithm?.plgmLgsState,
      ActiveBasalPattern: data.basal?.activeBasalPattern,
      BasalRate: data.basal?.basalRate,
      SensorState: data.sensorState,
    }),
    model: data.pumpModelNumber,
  });
}

/**
 * The sensor's end: CareLink counts the sensor's remaining life down in `sensorDurationHours` as of
 * the upload (`sensorDurationMinutes` only where the hours are missing, as peers read it: whether it
 * is the total or the rest of the hour is not documented). Zero or absent says nothing.
 */
function sensorExpiry(data: PatientData, date: number): { sensorExpiresAt: string } | Record<string, never> {
  const minutes = data.sensorDurationMinutes ?? undefined;
  const hours = data.sensorDurationHours ?? undefined;
  const leftMs = hours !== undefined ? (hours > 0 ? hours * 3_600_000 : undefined) : minutes !== undefined && minutes > 0 ? minutes * 60_000 : undefined;
  return leftMs === undefined ? {} : sensorExpiresField(date + leftMs);
}

export function toDeviceStatus(data: PatientData, clock: PumpClock): DeviceStatus[] {
  const date = data.lastMedicalDeviceDataUpdateServerTime;
  const age = dataAgeMs(data);
  if (date == null || (age !== undefined && age > STALE_AFTER_MS)) return [];
  const guardian = /GUARDIAN/i.test(data.medicalDeviceFamily ?? '') || (data.pumpModelNumber == null && data.reservoirRemainingUnits == null);
  // A Guardian has no pump: its own battery is what the uploader block shows (nightscout-connect did the same).
  const uploaderBattery = guardian ? (data.medicalDeviceBatteryLevelPercent ?? data.conduitBatteryLevel) : data.conduitBatteryLevel;
  return [
    {
      created_at: new Date(date).toISOString(),
      ...stamp(date, clock),
      ...(uploaderBattery == null ? {} : { uploaderBattery, uploader: { battery: uploaderBattery } }),
      ...(guardian ? {} : { pump: pumpBlock(data, clock) }),
      ...sensorExpiry(data, date),
      connect: compact({
        sensorState: data.sensorState,
        calibStatus: data.calibStatus,
        sensorDurationHours: data.sensorDurationHours,
        timeToNextCalibHours: data.timeToNextCalibHours,
        systemStatusMessage: data.systemStatusMessage,
        conduitBatteryStatus: data.conduitBatteryStatus,
        conduitInRange: data.conduitInRange,
        conduitMedicalDeviceInRange: data.conduitMedicalDeviceInRange,
        conduitSensorInRange: data.conduitSensorInRange,
        medicalDeviceFamily: data.medicalDeviceFamily,
        smartGuard: data.therapyAlgorithmState?.autoModeShieldState,
      }),
    },
  ];
}

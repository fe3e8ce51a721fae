import { z } from 'zod';

/**
 * The `patientData` object (`display/message`) and the classic `connect/data` answer, which share
 * their fields. Loose: CareLink adds fields often; numbers may come as strings.
 */

const num = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v), z.number()).nullish();
const text = z.string().nullish();

export const sgSchema = z.looseObject({
  sg: num,
  datetime: text,
  timestamp: text,
  sensorState: text,
});
export type Sg = z.infer<typeof sgSchema>;

export const markerSchema = z.looseObject({
  type: z.string(),
  index: num,
  dateTime: text,
  timestamp: text,
  displayTime: text,
  data: z.looseObject({ dataValues: z.record(z.string(), z.unknown()).nullish() }).nullish(),
});
export type Marker = z.infer<typeof markerSchema>;

export const patientDataSchema = z.looseObject({
  sgs: z.array(sgSchema).nullish(),
  lastSG: sgSchema.nullish(),
  lastSGTrend: text,
  markers: z.array(markerSchema).nullish(),
  currentServerTime: num,
  lastMedicalDeviceDataUpdateServerTime: num,
  lastConduitUpdateServerTime: num,
  sMedicalDeviceTime: text,
  medicalDeviceTimeAsString: text,
  bgUnits: text,
  bgunits: text,
  medicalDeviceFamily: text,
  kind: text,
  pumpModelNumber: text,
  activeInsulin: z.looseObject({ amount: num, datetime: text }).nullish(),
  reservoirRemainingUnits: num,
  reservoirAmount: num,
  reservoirLevelPercent: num,
  medicalDeviceBatteryLevelPercent: num,
  conduitBatteryLevel: num,
  conduitBatteryStatus: text,
  conduitInRange: z.boolean().nullish(),
  conduitMedicalDeviceInRange: z.boolean().nullish(),
  conduitSensorInRange: z.boolean().nullish(),
  pumpCommunicationState: z.boolean().nullish(),
  sensorState: text,
  calibStatus: text,
  sensorDurationHours: num,
  sensorDurationMinutes: num,
  timeToNextCalibHours: num,
  systemStatusMessage: text,
  therapyAlgorithmState: z.looseObject({ autoModeShieldState: text, autoModeReadinessState: text, plgmLgsState: text }).nullish(),
  pumpBannerState: z.array(z.looseObject({ type: text, timeRemaining: num })).nullish(),
  basal: z.looseObject({ activeBasalPattern: text, basalRate: num }).nullish(),
});
export type PatientData = z.infer<typeof patientDataSchema>;

/** Data older than this at the server is not sent as the current status. */
export const STALE_AFTER_MS = 20 * 60_000;

/** The moment the payload describes: the last pump/sensor upload, as the server saw it. */
export function updateTime(data: PatientData): number | undefined {
  return data.lastMedicalDeviceDataUpdateServerTime ?? data.currentServerTime ?? undefined;
}

/** How old the data was when the server answered; undefined when the payload does not say. */
export function dataAgeMs(data: Pick<PatientData, 'currentServerTime' | 'lastMedicalDeviceDataUpdateServerTime'>): number | undefined {
  const update = data.lastMedicalDeviceDataUpdateServerTime;
  const current = data.currentServerTime;
  return update == null || current == null ? undefined : current - update;
}

/** CareLink's sensor floor is 40 mg/dL: a value below it with an mmol unit is mmol/L (carelink-bridge converts too). */
export function toMgdl(value: number, units: string | null | undefined): number {
  return units && /MMOL/i.test(units) && value < 40 ? Math.round(value * 18.016) : value;
}

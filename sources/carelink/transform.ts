import type { Batch } from '../../lib/domain.js';
import { pumpClock } from './clock.js';
import { toDeviceStatus } from './devicestatus.js';
import { toEntries } from './entries.js';
import { clError } from './errors.js';
import { patientDataSchema, updateTime } from './patient-data.js';
import { toTreatments } from './treatments.js';
import { firstIssue } from './wire.js';

/**
 * Pure: one CareLink data object (`patientData`, or the classic answer) → entries, treatments and
 * devicestatus. Every time is the pump's wall clock corrected by the offset guessed from its
 * clock (`sMedicalDeviceTime`) against the server's update time. Throws CL021 / CL022.
 */
export function transformPatientData(raw: unknown): Batch {
  const parsed = patientDataSchema.safeParse(raw);
  if (!parsed.success) {
    const where = firstIssue(parsed.error);
    throw clError('CL021', { params: { where }, cause: new Error(`${parsed.error.issues.length} schema issue(s), first ${where}`) });
  }
  const data = parsed.data;
  // The device clock was read at the last upload, so compare it with that moment, not with "now":
  // a payload 30 min old would otherwise shift every reading by half an hour.
  const clock = pumpClock(data.sMedicalDeviceTime ?? data.medicalDeviceTimeAsString ?? undefined, updateTime(data));
  return { entries: toEntries(data, clock), treatments: toTreatments(data, clock), devicestatus: toDeviceStatus(data, clock) };
}

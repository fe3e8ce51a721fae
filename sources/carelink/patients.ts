import { clError } from './errors.js';
import type { LinkedPatient } from './wire.js';

/** Care-partner accounts can follow several patients; which one this bridge reads. */

export function patientLabel(patient: LinkedPatient): string {
  const name = [patient.firstName, patient.lastName].filter((part) => part).join(' ');
  return name ? `${patient.username} (${name})` : patient.username;
}

function listing(patients: readonly LinkedPatient[]): string {
  return patients.map(patientLabel).join(', ');
}

/**
 * The patient to read: the pinned username (case-insensitive), or the only one. With several and
 * no pin we refuse to guess rather than upload someone else's glucose into this user's site.
 */
export function selectPatient(patients: readonly LinkedPatient[], pinned: string | undefined, cause?: Error): LinkedPatient {
  if (patients.length === 0) throw clError('CL013', { cause });
  if (pinned !== undefined) {
    const found = patients.find((p) => p.username.toLowerCase() === pinned.trim().toLowerCase());
    if (found) return found;
    throw clError('CL015', { params: { pinned, patients: listing(patients) }, cause });
  }
  const [only, ...others] = patients;
  if (only && others.length === 0) return only;
  throw clError('CL014', { params: { patients: listing(patients) }, cause });
}

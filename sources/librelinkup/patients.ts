import { lluError } from './errors.js';
import type { Connection } from './wire.js';

/** Which followed patient to read, as configured. */
export interface PatientPin {
  patientId?: string | undefined;
  /** "First Last", case-insensitive. */
  patientName?: string | undefined;
}

function normalizeName(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

export function patientName(connection: Connection): string {
  return [connection.firstName, connection.lastName].filter((part) => part).join(' ');
}

function listing(connections: readonly Connection[]): string {
  return connections.map((c) => `${patientName(c) || '(no name)'} (${c.patientId})`).join(', ');
}

/**
 * The connection to read. A follower account may follow several people; with no pin we refuse
 * to guess rather than upload someone else's glucose into this user's Nightscout.
 */
export function selectPatient(connections: readonly Connection[], pin: PatientPin, cause?: Error): Connection {
  if (connections.length === 0) throw lluError('LLU018', { cause });
  const wantedName = pin.patientName === undefined ? undefined : normalizeName(pin.patientName);
  if (pin.patientId !== undefined || wantedName !== undefined) {
    const found = connections.find((c) =>
      pin.patientId !== undefined ? c.patientId === pin.patientId : normalizeName(patientName(c)) === wantedName,
    );
    if (found) return found;
    const pinned = pin.patientId !== undefined ? `patient id ${pin.patientId}` : `"${pin.patientName}"`;
    throw lluError('LLU020', { params: { pinned, patients: listing(connections) }, cause });
  }
  const [only, ...others] = connections;
  if (only && others.length === 0) return only;
  throw lluError('LLU019', { params: { patients: listing(connections) }, cause });
}

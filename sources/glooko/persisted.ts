import { z } from 'zod';

/**
 * What the driver keeps in the bridge's state store (files 0600): the install's device identity
 * (Glooko sees one phone, not a new one per sign-in), the session cookie so a restart does not
 * sign in again, and the login guard's lockout and refused-credentials records.
 */

export const STATE_KEYS = {
  /** The device block's `deviceId` and `serialNumber`, made once per install. */
  device: 'glooko-device',
  /** The cookie jar, patient code and time zone of the last sign-in. */
  session: 'glooko-session',
  /** "Do not sign in before" after a throttle. */
  lockout: 'glooko-lockout',
  /** Salted scrypt fingerprint of credentials Glooko refused (or of a two-step account). */
  refused: 'glooko-refused',
} as const;

export const persistedDeviceSchema = z.object({
  deviceId: z.string().min(1),
  serialNumber: z.string().min(1),
  createdAt: z.number(),
});
export type PersistedDevice = z.infer<typeof persistedDeviceSchema>;

export const persistedSessionSchema = z.object({
  /** tough-cookie's serialised jar; holds `_logbook-web_session`. */
  cookies: z.looseObject({ cookies: z.array(z.unknown()) }),
  glookoCode: z.string().min(1),
  /** The account's own zone and units, as `/api/v3/session/users` said. */
  accountZone: z.string().optional(),
  meterUnits: z.string().optional(),
  /** Whose session, where: reused only while both are unchanged. */
  email: z.string(),
  baseUrl: z.string().min(1),
  savedAt: z.number(),
});
export type PersistedSession = z.infer<typeof persistedSessionSchema>;

export { readRecord } from '../../lib/state-record.js';
export type { CredentialParts } from '../../lib/credential-fingerprint.js';

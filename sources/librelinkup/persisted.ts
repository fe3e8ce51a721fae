import { z } from 'zod';

/**
 * What the driver keeps in the bridge's state store (files 0600), so a restart neither logs in
 * again (the ticket lives 180 days) nor knocks on a locked account or with refused credentials.
 */

export const STATE_KEYS = {
  /** The ticket and where it is valid. */
  session: 'librelinkup-session',
  /** "Do not log in before" after a lockout or a throttle. */
  lockout: 'librelinkup-lockout',
  /** Salted scrypt fingerprint of credentials the server refused. */
  refused: 'librelinkup-refused',
  /** "Do not ask before" after the server called the `version` header outdated (status 920). */
  outdatedVersion: 'librelinkup-outdated-version',
} as const;

export const persistedSessionSchema = z.object({
  token: z.string().min(1),
  /** Epoch ms when the ticket expires. */
  expires: z.number(),
  /** SHA-256 of the user id: the `account-id` header. */
  accountId: z.string().min(1),
  /** Where the ticket is valid (after redirects). */
  baseUrl: z.string().min(1),
  region: z.string(),
  /** The base URL the configuration names; a ticket is reused only while it is unchanged. */
  configuredBaseUrl: z.string().min(1),
  username: z.string(),
  /** Epoch ms of the login. */
  savedAt: z.number(),
});
export type PersistedSession = z.infer<typeof persistedSessionSchema>;

export { lockoutSchema, type Lockout } from '../../lib/state-record.js';

export { readRecord } from '../../lib/state-record.js';
export { fingerprint, matchesFingerprint, refusedSchema, type CredentialParts, type Refused } from '../../lib/credential-fingerprint.js';

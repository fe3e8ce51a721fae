import { z } from 'zod';

/**
 * What the driver keeps in the bridge's state store (files 0600), so a restart logs in with one
 * step at most (the account id is cached, the session reused while young) and never knocks on a
 * locked account or with credentials Dexcom refused.
 */

export const STATE_KEYS = {
  /** Step 1's answer: the publisher's account id (stable per account). */
  account: 'dexcomshare-account',
  /** Step 2's answer: the session id and when it was made. */
  session: 'dexcomshare-session',
  /** "Do not log in before" after a lock or a throttle. */
  lockout: 'dexcomshare-lockout',
  /** Salted scrypt fingerprint of credentials Dexcom refused. */
  refused: 'dexcomshare-refused',
} as const;

export const persistedAccountSchema = z.object({
  accountId: z.string().min(1),
  /** The account name and base URL it belongs to; reused only while both are unchanged. */
  accountName: z.string(),
  baseUrl: z.string().min(1),
  savedAt: z.number(),
});
export type PersistedAccount = z.infer<typeof persistedAccountSchema>;

export const persistedSessionSchema = z.object({
  sessionId: z.string().min(1),
  /** The account id the session was made for. */
  accountId: z.string().min(1),
  baseUrl: z.string().min(1),
  /** Epoch ms of step 2; the session is renewed before it is `SESSION_RENEW_MS` old. */
  savedAt: z.number(),
});
export type PersistedSession = z.infer<typeof persistedSessionSchema>;

export { lockoutSchema, type Lockout } from '../../lib/state-record.js';

export { readRecord } from '../../lib/state-record.js';
export { fingerprint, matchesFingerprint, refusedSchema, type CredentialParts } from '../../lib/credential-fingerprint.js';

import { randomBytes, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';
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

export const lockoutSchema = z.object({
  /** Epoch ms before which no login is attempted. */
  notBefore: z.number(),
  /** The error code and message that set it, for the user. */
  reason: z.string(),
});
export type Lockout = z.infer<typeof lockoutSchema>;

export const refusedSchema = z.object({
  refused: z.literal(true),
  /** Hex. */
  salt: z.string().min(1),
  /** Hex scrypt of username, configured base URL and password. */
  fingerprint: z.string().min(1),
  /** Epoch ms of the refusal. */
  at: z.number(),
});
export type Refused = z.infer<typeof refusedSchema>;

export { readRecord } from '../../lib/state-record.js';

const SCRYPT_KEY_BYTES = 32;
const SCRYPT_OPTIONS: ScryptOptions = { N: 16_384, r: 8, p: 1 };

function scryptAsync(secret: BinaryLike, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, SCRYPT_KEY_BYTES, SCRYPT_OPTIONS, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** What identifies "the same configuration" for a refusal; the region matters (RU accounts). */
export interface CredentialParts {
  username: string;
  password: string;
  baseUrl: string;
}

function material(parts: CredentialParts): string {
  return JSON.stringify([parts.username, parts.baseUrl, parts.password]);
}

/**
 * A salted scrypt, never a plain hash: a state file must not let anyone test password guesses
 * at hash speed.
 */
export async function fingerprint(parts: CredentialParts, saltHex?: string): Promise<{ salt: string; fingerprint: string }> {
  const salt = saltHex === undefined ? randomBytes(16) : Buffer.from(saltHex, 'hex');
  const key = await scryptAsync(material(parts), salt);
  return { salt: salt.toString('hex'), fingerprint: key.toString('hex') };
}

export async function matchesFingerprint(record: Refused, parts: CredentialParts): Promise<boolean> {
  const { fingerprint: candidate } = await fingerprint(parts, record.salt);
  const a = Buffer.from(candidate, 'hex');
  const b = Buffer.from(record.fingerprint, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

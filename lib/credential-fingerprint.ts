import { randomBytes, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';

/**
 * "These credentials were refused": a record a driver keeps in its state store so that a restart
 * never logs in again with credentials the vendor already refused (vendors lock accounts after a
 * few failed logins). It holds a salted scrypt of the credentials, never the password.
 */

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

const SCRYPT_KEY_BYTES = 32;
const SCRYPT_OPTIONS: ScryptOptions = { N: 16_384, r: 8, p: 1 };

function scryptAsync(secret: BinaryLike, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, SCRYPT_KEY_BYTES, SCRYPT_OPTIONS, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** What identifies "the same configuration" for a refusal; the server matters (a wrong region refuses good credentials). */
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

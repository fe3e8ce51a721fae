import { createHmac, timingSafeEqual } from 'node:crypto';

/** HS256 JWTs with node:crypto only; the fake needs sign/verify, not the whole jsonwebtoken surface. */

export interface JwtPayload {
  accessToken: string;
  iat: number;
  exp: number;
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function signature(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(body).digest();
}

export function signJwt(payload: JwtPayload, key: Buffer): string {
  const body = `${HEADER}.${b64url(JSON.stringify(payload))}`;
  return `${body}.${signature(key, body).toString('base64url')}`;
}

/** Signature-checked payload, regardless of expiry; `null` when it is not our JWT. */
export function decodeJwt(token: string, key: Buffer): JwtPayload | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, payload, sig] = parts as [string, string, string];
  const expected = signature(key, `${header}.${payload}`);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<JwtPayload>;
    if (typeof parsed.accessToken !== 'string' || typeof parsed.exp !== 'number' || typeof parsed.iat !== 'number') return null;
    return parsed as JwtPayload;
  } catch {
    return null;
  }
}

/** jsonwebtoken treats a token as expired once `now >= exp` (seconds). */
export const isExpired = (payload: JwtPayload, nowMs: number): boolean => Math.floor(nowMs / 1000) >= payload.exp;

export const looksLikeJwt = (token: string): boolean => token.split('.').length === 3;

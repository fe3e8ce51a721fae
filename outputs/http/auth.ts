import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Secret } from '../../lib/secret.js';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Whether the request carries `Authorization: Bearer <token>`. Both sides are hashed first so the
 * comparison runs on equal-length buffers and takes the same time whatever the token's length or
 * how many leading characters match.
 */
export function hasBearer(headers: IncomingHttpHeaders, token: Secret): boolean {
  const header = headers.authorization;
  const match = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  const given = match?.[1] ?? '';
  const equal = timingSafeEqual(digest(given), digest(token.reveal()));
  return match !== null && equal;
}

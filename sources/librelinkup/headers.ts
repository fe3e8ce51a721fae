import { createHash } from 'node:crypto';

/**
 * Request headers LibreLink Up expects. Cloudflare in front of the API
 * blocks obvious bot user agents, so we send the mobile Safari string the maintained clients use.
 */
export const USER_AGENT =
  'Mozilla/5.0 (iPhone; CPU OS 17_4.1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/10A5355d Safari/8536.25';

export interface AppIdentity {
  /** `llu.ios` or `llu.android`. */
  product: string;
  /** App version; the server refuses outdated ones with HTTP 403. */
  version: string;
}

/**
 * `account-id`: lowercase hex SHA-256 of the logged-in user's id, the raw UUID with dashes.
 * Not the patient id: xdripswift shipped that mistake (PR #549).
 */
export function accountIdFor(userId: string): string {
  return createHash('sha256').update(userId, 'utf8').digest('hex');
}

/** Headers on every request, the login included. */
export function baseHeaders(app: AppIdentity): Record<string, string> {
  return {
    product: app.product,
    version: app.version,
    'user-agent': USER_AGENT,
    accept: 'application/json',
    'accept-encoding': 'gzip',
    'cache-control': 'no-cache',
    pragma: 'no-cache',
  };
}

/** Headers of a POST with a JSON body. */
export function jsonHeaders(): Record<string, string> {
  return { 'content-type': 'application/json' };
}

/** A login step (`tou`, `pp`) carries its step token but no account-id yet. */
export function bearerHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Headers of every call made with a logged-in ticket. */
export function authHeaders(token: string, accountId: string): Record<string, string> {
  return { ...bearerHeaders(token), 'account-id': accountId };
}

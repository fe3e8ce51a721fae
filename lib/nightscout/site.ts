import { createHash } from 'node:crypto';
import type { Secret } from '../secret.js';

/**
 * Which Nightscout site, reached how. A site is the target of the Nightscout output or a
 * Nightscout source; the names of its settings go into error messages so the fix is concrete.
 */
export interface SiteNames {
  /** `the target Nightscout`, `the source Nightscout`. */
  site: string;
  /** The setting an access token goes in, e.g. `CONNECT_NIGHTSCOUT_TOKEN`. */
  tokenVar: string;
  /** The setting the API secret goes in, e.g. `CONNECT_API_SECRET`. */
  secretVar: string;
}

export interface SiteSettings {
  endpoint: string;
  token?: Secret | undefined;
  apiSecret?: Secret | undefined;
}

export interface Site {
  /** Origin plus path prefix (sites behind `/ns`), no trailing slash, no query. */
  baseUrl: string;
  token: Secret | undefined;
  apiSecret: Secret | undefined;
  names: SiteNames;
}

/** The configured site; the config already moved a `?token=` into `token`. */
export function siteFrom(settings: SiteSettings, names: SiteNames): Site {
  const url = new URL(settings.endpoint.trim());
  const baseUrl = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  return { baseUrl, token: settings.token, apiSecret: settings.apiSecret, names };
}

/** v1's `api-secret` header: lowercase SHA-1 hex of the plain secret; the plain secret is never accepted. */
export function hashApiSecret(secret: Secret): string {
  return createHash('sha1').update(secret.reveal(), 'utf8').digest('hex');
}

/** What a user pasted where the plain secret belongs, when it is the hash Nightscout compares against. */
export function looksHashed(secret: Secret): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{128})$/i.test(secret.reveal().trim());
}

/** Access tokens are `<abbrev>-<16 hex>`, the abbreviation being the subject name, at most 10 chars. */
export function looksLikeAccessToken(token: Secret): boolean {
  return /^[a-z0-9]{0,10}-[0-9a-f]{16,}$/i.test(token.reveal().trim());
}

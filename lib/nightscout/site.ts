import { createHash } from 'node:crypto';
import type { GlucoHubError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Secret } from '../secret.js';
import { nsError } from './errors.js';

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

/** `localhost`, `*.localhost`, 127.0.0.0/8 or `[::1]`: traffic that never leaves the machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * NS017 when `site` is plain http:// to another machine: the token (and its JWT), or the API
 * secret's hash, which Nightscout accepts in place of the secret, travels readable and reusable,
 * and so does the glucose data. `undefined` for https:// and for this machine.
 */
export function cleartextWarning(site: Site): GlucoHubError | undefined {
  const url = new URL(site.baseUrl);
  if (url.protocol !== 'http:' || isLoopback(url.hostname)) return undefined;
  const credential = site.token ? 'the access token and its JWT' : site.apiSecret ? "the API secret's hash (which Nightscout accepts like the secret)" : undefined;
  const what = credential ? `${credential}, and the glucose data, travel` : 'the glucose data travels';
  return nsError('NS017', { params: { site: site.names.site, host: url.host, what, reuse: credential ? ' and reuse' : '' } });
}

/** Logs NS017 when it applies; the site's factory calls it once, at start. */
export function warnIfCleartext(site: Site, log: Logger): void {
  const warning = cleartextWarning(site);
  if (warning) log.warn({ code: warning.code }, warning.toUserLine());
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

import { serverBaseUrl as sharedServerBaseUrl } from '../../lib/base-url.js';
import { dexError } from './errors.js';

/**
 * Dexcom Share servers and application ids. US and OUS share an application
 * id; JP has its own. A wrong region answers `AccountPasswordInvalid`, exactly like a wrong password.
 */
export const REGIONS = {
  us: { host: 'share2.dexcom.com', applicationId: 'd89443d2-327c-4a6f-89e5-496bbb0317db' },
  ous: { host: 'shareous1.dexcom.com', applicationId: 'd89443d2-327c-4a6f-89e5-496bbb0317db' },
  jp: { host: 'share.dexcom.jp', applicationId: 'd8665ade-9673-4e27-9ff6-92db4ce13d13' },
} as const;

export type Region = keyof typeof REGIONS;

/** The path every endpoint hangs off; a `server` given as bare `host[:port]` gets it too. */
export const SERVICES_PATH = '/ShareWebServices/Services';

export function regionBaseUrl(region: Region): string {
  return `https://${REGIONS[region].host}${SERVICES_PATH}`;
}

/**
 * `server` → base URL. `host[:port]` (or a URL without a path) gets the Share services path;
 * a full URL with a path is used as it is (a proxy). ConfigError DEX001 for anything else.
 */
export function serverBaseUrl(server: string): string {
  const base = sharedServerBaseUrl(server, (shown, cause) => dexError('DEX001', { params: { server: shown }, cause }));
  return new URL(base).pathname === '/' ? `${base}${SERVICES_PATH}` : base;
}

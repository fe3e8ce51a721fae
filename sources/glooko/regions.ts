import { serverBaseUrl as sharedServerBaseUrl } from '../../lib/base-url.js';
import { glkError } from './errors.js';

/**
 * Glooko's API hosts and the web origins its browser app sends as Origin/Referer.
 * `development` and `production` are nightscout-connect's names for the
 * partner hosts; they are kept so its configurations keep working, not because users need them.
 */
export const REGIONS = {
  us: { host: 'api.glooko.com', web: 'https://my.glooko.com' },
  eu: { host: 'eu.api.glooko.com', web: 'https://eu.my.glooko.com' },
  ca: { host: 'ca.api.glooko.com', web: 'https://ca.my.glooko.com' },
  'de-fr': { host: 'de-fr.api.glooko.com', web: 'https://de-fr.my.glooko.com' },
  development: { host: 'api.glooko.work', web: 'https://my.glooko.work' },
  production: { host: 'externalapi.glooko.com', web: 'https://my.glooko.com' },
} as const;

export type Region = keyof typeof REGIONS;

export interface Endpoint {
  /** The API base URL, no trailing slash. */
  baseUrl: string;
  /** Origin and Referer, as the web app sends them. */
  webOrigin: string;
}

/** `server` (host or URL) overrides the region's host; the web origin follows it (`api.` → `my.`). */
export function endpointFor(region: Region, server: string | undefined): Endpoint {
  if (server === undefined) return { baseUrl: `https://${REGIONS[region].host}`, webOrigin: REGIONS[region].web };
  const baseUrl = sharedServerBaseUrl(server, (shown, cause) => glkError('GLK001', { params: { server: shown }, cause }));
  const url = new URL(baseUrl);
  const known = Object.values(REGIONS).find((r) => r.host === url.host);
  if (known) return { baseUrl, webOrigin: known.web };
  const host = url.host.replace(/^api\./, 'my.').replace(/\.api\./, '.my.');
  return { baseUrl, webOrigin: host === url.host ? url.origin : `${url.protocol}//${host}` };
}

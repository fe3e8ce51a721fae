import { serverBaseUrl } from '../../lib/base-url.js';
import { clError } from './errors.js';

/**
 * Where CareLink lives. Everything past discovery comes from the discovery
 * document, so a region only picks the discovery host and the document's `CP[]` entry.
 */
export const REGIONS = {
  us: { cloud: 'clcloud.minimed.com', discoveryRegion: 'US' },
  eu: { cloud: 'clcloud.minimed.eu', discoveryRegion: 'EU' },
} as const;
export type Region = keyof typeof REGIONS;

/**
 * The version segment is load-bearing: only `android/3.6`–`3.8` return the Auth0 login and a v13
 * cumulus base; `3.5` returns a v11 base (the wrong data API, silently) and `3.9+` a legacy config.
 */
export const DISCOVERY_PATH = '/connect/carepartner/v13/discover/android/3.6';

/** Every request goes through here: the vendor's URL, or the same path on a pinned server. */
export type Via = (url: string) => string;

export interface Placement {
  /** A region the `server` setting implies (nightscout-connect users set it to a Medtronic host). */
  region?: Region;
  via: Via;
  /** The pinned server's base URL, when one is set. */
  pinned?: string;
}

const MEDTRONIC_HOST = /(^|\.)(minimed|medtronic)\.(eu|com)$/i;

/** The region a Medtronic host belongs to (`carelink-login.minimed.eu` → eu). */
export function regionOfHost(host: string): Region | undefined {
  const match = /\.minimed\.(eu|com)$/i.exec(host);
  if (!match) return undefined;
  return match[1]!.toLowerCase() === 'eu' ? 'eu' : 'us';
}

/**
 * `server` → where requests go. A Medtronic host (what nightscout-connect's CONNECT_CARELINK_SERVER
 * held: `carelink.minimed.eu`) only says the region; any other host is pinned: discovery, login,
 * tokens and data all go to it with their own paths (a proxy, or the fake server in tests).
 */
export function placement(server: string | undefined): Placement {
  if (server === undefined) return { via: (url) => url };
  const base = serverBaseUrl(server, (shown, cause) => clError('CL001', { params: { server: shown }, cause }));
  const host = new URL(base).hostname;
  if (MEDTRONIC_HOST.test(host)) {
    const region = regionOfHost(host);
    return region === undefined ? { via: (url) => url } : { region, via: (url) => url };
  }
  return {
    pinned: base,
    via: (url) => {
      const target = new URL(url);
      return `${base}${target.pathname}${target.search}`;
    },
  };
}

export function discoveryUrl(region: Region): string {
  return `https://${REGIONS[region].cloud}${DISCOVERY_PATH}`;
}

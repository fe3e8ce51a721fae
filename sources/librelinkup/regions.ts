import { serverBaseUrl as sharedServerBaseUrl } from '../../lib/base-url.js';
import { lluError } from './errors.js';

/**
 * LibreLink Up regional API hosts. Paths are the same on every host.
 * RU is never reached by redirect and CN was never verified live; both are here so users can pick them.
 */
export const REGION_HOSTS = {
  US: 'api-us.libreview.io',
  EU: 'api-eu.libreview.io',
  EU2: 'api-eu2.libreview.io',
  DE: 'api-de.libreview.io',
  FR: 'api-fr.libreview.io',
  CA: 'api-ca.libreview.io',
  AU: 'api-au.libreview.io',
  AP: 'api-ap.libreview.io',
  AE: 'api-ae.libreview.io',
  JP: 'api-jp.libreview.io',
  LA: 'api-la.libreview.io',
  RU: 'api.libreview.ru',
  CN: 'api-cn.myfreestyle.cn',
} as const;

export type Region = keyof typeof REGION_HOSTS;

/** Names users (and nightscout-connect) use for a region that has another key here. */
const REGION_ALIASES: Readonly<Record<string, Region>> = { UK: 'EU2', GB: 'EU2' };

function isRegion(key: string): key is Region {
  return Object.hasOwn(REGION_HOSTS, key);
}

/** `eu2`, `EU2`, `uk` → `EU2`; anything else → undefined. */
export function regionKey(input: string): Region | undefined {
  const key = input.trim().toUpperCase();
  return isRegion(key) ? key : REGION_ALIASES[key];
}

export function regionBaseUrl(region: Region): string {
  return `https://${REGION_HOSTS[region]}`;
}

/** The configured region, or ConfigError LLU001 naming the valid ones. */
export function configuredRegion(input: string): Region {
  const region = regionKey(input);
  if (!region) throw lluError('LLU001', { params: { region: input } });
  return region;
}

/** `server` → base URL (lib/base-url.ts); ConfigError LLU002 when it is neither `host[:port]` nor an http(s) URL. */
export function serverBaseUrl(server: string): string {
  return sharedServerBaseUrl(server, (shown, cause) => lluError('LLU002', { params: { server: shown }, cause }));
}

import { clError } from './errors.js';
import type { CareLinkClient } from './client.js';
import { discoveryUrl, REGIONS, type Region } from './hosts.js';
import { jsonAnswer } from './responses.js';
import { discoverySchema, ssoConfigSchema, type CpEntry, type Discovery, type SsoConfig } from './wire.js';

/**
 * Discovery and SSO configuration: everything else — login page,
 * token endpoint, data hosts — comes from these two unauthenticated documents.
 */

export interface Endpoints {
  region: Region;
  /** `https://carelink.minimed.eu/patient`: users/me, links, monitor, classic data. */
  carelinkBase: string;
  /** `https://clcloud.minimed.eu/connect/carepartner/v13`: display/message. */
  cumulusBase: string;
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  scope: string;
  audience: string | undefined;
  redirectUri: string;
}

export interface Wanted {
  region?: Region | undefined;
  countryCode?: string | undefined;
}

/** The region of `countryCode` in the document's `supportedCountries`. */
export function countryRegion(doc: Discovery, countryCode: string): Region {
  const wanted = countryCode.trim().toUpperCase();
  for (const entry of doc.supportedCountries) {
    for (const [code, value] of Object.entries(entry)) {
      if (code.toUpperCase() !== wanted) continue;
      const region = (Object.keys(REGIONS) as Region[]).find((r) => REGIONS[r].discoveryRegion === value.region.toUpperCase());
      if (region) return region;
    }
  }
  throw clError('CL006', { params: { value: countryCode } });
}

function cpEntry(doc: Discovery, region: Region): CpEntry {
  const entry = doc.CP.find((cp) => cp.region.toUpperCase() === REGIONS[region].discoveryRegion);
  if (!entry) throw clError('CL008', { params: { what: 'CP entry', region } });
  return entry;
}

/** The SSO configuration URL the entry points at; only the 2026 Auth0 login still works. */
function ssoConfigUrl(entry: CpEntry, region: Region): string {
  const key = entry.UseSSOConfiguration;
  const url = key === undefined ? undefined : (entry as Record<string, unknown>)[key];
  if (key === undefined || !/auth0/i.test(key) || typeof url !== 'string' || url === '') {
    throw clError('CL008', { params: { what: `Auth0 login (UseSSOConfiguration is ${key ?? 'missing'})`, region } });
  }
  return url;
}

/** `https://hostname[:port][/prefix]`, as the SSO document spells its server. */
export function ssoBase(config: SsoConfig): string {
  const { hostname, port, prefix } = config.server;
  const withPort = port === undefined || port === 443 ? hostname : `${hostname}:${port}`;
  const path = (prefix ?? '').replace(/^\/*/, '').replace(/\/+$/, '');
  return `https://${withPort}${path ? `/${path}` : ''}`;
}

function join(base: string, path: string): string {
  return `${base}/${path.replace(/^\/+/, '')}`;
}

export async function discover(client: CareLinkClient, wanted: Wanted, signal: AbortSignal, nowMs: () => number): Promise<Endpoints> {
  if (wanted.region === undefined && wanted.countryCode === undefined) throw clError('CL005');
  // .eu and .com serve the same document: the host does not pick the region, the CP entry does.
  const response = await client.send({ what: 'the discovery document', url: discoveryUrl(wanted.region ?? 'eu') }, signal);
  const doc = jsonAnswer(response, discoverySchema, nowMs());
  let region = wanted.region;
  region ??= countryRegion(doc, wanted.countryCode ?? '');
  const entry = cpEntry(doc, region);
  const ssoResponse = await client.send({ what: 'the SSO configuration', url: ssoConfigUrl(entry, region) }, signal);
  const sso = jsonAnswer(ssoResponse, ssoConfigSchema, nowMs());
  const base = ssoBase(sso);
  return {
    region,
    carelinkBase: entry.baseUrlCareLink.replace(/\/+$/, ''),
    cumulusBase: entry.baseUrlCumulus.replace(/\/+$/, ''),
    authorizeUrl: join(base, sso.system_endpoints.authorization_endpoint_path),
    tokenUrl: join(base, sso.system_endpoints.token_endpoint_path),
    clientId: sso.client.client_id,
    scope: sso.client.scope ?? 'openid profile offline_access',
    audience: sso.client.audience,
    redirectUri: sso.client.redirect_uri,
  };
}

import type { AxiosInstance } from 'axios';
import type { SourceSettings } from '../../lib/config/schema.js';
import { COLLECTIONS } from '../../lib/domain.js';
import { createNightscoutClient } from '../../lib/nightscout/client.js';
import { siteFrom, warnIfCleartext, type SiteNames } from '../../lib/nightscout/site.js';
import type { DriverContext, SourceDriver } from '../../lib/contracts/source.js';
import { NSS_DEVICE } from './document.js';
import { collectionLoop } from './loop.js';
import { PAGE_SIZE } from './read.js';
import { nightscoutSession, type NssAuth, type NssSession } from './session.js';

export type { NssAuth, NssSession } from './session.js';
export { NSS_ERRORS, type NssCode } from './errors.js';
export { NSS_DEVICE } from './document.js';
export { LOOP_TIMING } from './loop.js';

/** The `nightscout` source settings, as the config schema (`nightscoutSourceSchema`) produces them. */
export type NightscoutSourceSettings = Extract<SourceSettings, { kind: 'nightscout' }>;

/** The settings named in the core's explained auth errors (NS001–NS006). */
export const SOURCE_SITE_NAMES: SiteNames = {
  site: 'the source Nightscout',
  tokenVar: 'CONNECT_SOURCE_TOKEN',
  secretVar: 'CONNECT_SOURCE_API_SECRET',
};

export interface NightscoutSourceOptions {
  http?: AxiosInstance;
  /** Documents per request; tests page with a few. */
  pageSize?: number;
}

/**
 * Another Nightscout as the source (follow a relative's site, migrate, back up): one loop each
 * for entries, treatments and device statuses. Builds everything without I/O (check-config
 * calls it). With an access token it reads API v3 (v1 when the server has none), with an API
 * secret API v1, with neither API v1 anonymously (a publicly readable site).
 */
export function createNightscoutSourceDriver(
  settings: NightscoutSourceSettings,
  ctx: DriverContext,
  options: NightscoutSourceOptions = {},
): SourceDriver<NssAuth, NssSession> {
  const site = siteFrom(settings, SOURCE_SITE_NAMES);
  warnIfCleartext(site, ctx.log);
  const client = createNightscoutClient(site, { now: () => ctx.now(), ...(options.http ? { http: options.http } : {}) });
  const read = { client, pageSize: options.pageSize ?? PAGE_SIZE };
  return {
    kind: 'nightscout',
    device: NSS_DEVICE,
    baseUrl: site.baseUrl,
    session: nightscoutSession(client, ctx.log),
    loops: COLLECTIONS.map((collection) => collectionLoop(collection, { read, log: ctx.log, device: NSS_DEVICE })),
  };
}

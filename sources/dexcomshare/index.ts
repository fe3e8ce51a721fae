import type { SourceSettings } from '../../lib/config/schema.js';
import type { DriverContext, SourceDriver } from '../../lib/contracts/source.js';
import { createShareClient } from './client.js';
import { readingsLoop } from './loop.js';
import { REGIONS, regionBaseUrl, serverBaseUrl } from './regions.js';
import { createShareSession, type ShareAuth, type ShareSession } from './session.js';
import { SHARE_DEVICE } from './transform.js';

export type { ShareAuth, ShareSession } from './session.js';
export { DEX_ERRORS, type DexCode } from './errors.js';
export { STATE_KEYS } from './persisted.js';
export { SHARE_DEVICE } from './transform.js';

/** The `dexcomshare` source settings, as the config schema (`dexcomShareSourceSchema`) produces them. */
export type DexcomShareSettings = Extract<SourceSettings, { kind: 'dexcomshare' }>;

/**
 * The Dexcom Share publisher source. Builds everything without I/O (check-config calls it);
 * throws ConfigError DEX001 for a malformed `server`. The region picks the application id even
 * when `server` overrides the host.
 */
export function createDexcomShareDriver(settings: DexcomShareSettings, ctx: DriverContext): SourceDriver<ShareAuth, ShareSession> {
  const baseUrl = settings.server === undefined ? regionBaseUrl(settings.region) : serverBaseUrl(settings.server);
  const endpoint = { baseUrl, applicationId: REGIONS[settings.region].applicationId };
  const client = createShareClient(ctx.requests);
  const { session, forget } = createShareSession({ client, ctx, endpoint, accountName: settings.accountName, password: settings.password });
  return {
    kind: 'dexcomshare',
    device: SHARE_DEVICE,
    baseUrl,
    session,
    loops: [
      readingsLoop({
        client,
        forget,
        now: () => ctx.now(),
        log: ctx.log,
        intervalSeconds: settings.intervalSeconds,
        minIntervalSeconds: settings.minIntervalSeconds,
      }),
    ],
  };
}

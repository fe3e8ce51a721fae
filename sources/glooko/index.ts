import type { SourceSettings } from '../../lib/config/schema.js';
import type { DriverContext, SourceDriver } from '../../lib/contracts/source.js';
import { createGlookoClient } from './client.js';
import { cgmLoop, treatmentsLoop, type LoopOptions } from './loops.js';
import { endpointFor } from './regions.js';
import { createGlookoSession, type GlookoAuth, type GlookoSession } from './session.js';
import { GLOOKO_DEVICE } from './device-name.js';

export type { GlookoAuth, GlookoSession } from './session.js';
export { GLK_ERRORS, type GlkCode } from './errors.js';
export { STATE_KEYS } from './persisted.js';
export { GLOOKO_DEVICE } from './device-name.js';

/** The `glooko` source settings, as the config schema (`glookoSourceSchema`) produces them. */
export type GlookoSettings = Extract<SourceSettings, { kind: 'glooko' }>;

/**
 * The Glooko source: CGM readings (egvs, graph fallback) and pump treatments, in two loops with
 * their own gaps. Builds everything without I/O (check-config calls it); throws ConfigError GLK001
 * for a malformed `server`.
 */
export function createGlookoDriver(settings: GlookoSettings, ctx: DriverContext): SourceDriver<GlookoAuth, GlookoSession> {
  const endpoint = endpointFor(settings.region, settings.server);
  const client = createGlookoClient(undefined, ctx.requests);
  const { session, forget } = createGlookoSession({
    client,
    ctx,
    endpoint,
    email: settings.email,
    password: settings.password,
    authMode: settings.authMode,
    timezone: settings.timezone,
    timezoneOffset: settings.timezoneOffset,
    device: {
      ...(settings.deviceId === undefined ? {} : { deviceId: settings.deviceId }),
      ...(settings.serialNumber === undefined ? {} : { serialNumber: settings.serialNumber }),
    },
  });
  const loopOptions: LoopOptions = {
    client,
    forget,
    now: () => ctx.now(),
    lookbackDays: settings.lookbackDays,
    intervalSeconds: settings.intervalSeconds,
    useGraph: settings.useV3Graph,
  };
  return {
    kind: 'glooko',
    device: GLOOKO_DEVICE,
    baseUrl: endpoint.baseUrl,
    // A pump that syncs days after the phone logged food must not be dropped as "older than stored".
    lateArrivalMs: settings.lookbackDays * 24 * 60 * 60_000,
    session,
    loops: settings.skipEntries ? [treatmentsLoop(loopOptions)] : [cgmLoop(loopOptions), treatmentsLoop(loopOptions)],
  };
}

import type { SourceSettings } from '../../lib/config/schema.js';
import type { DriverContext, SourceDriver } from '../../lib/contracts/source.js';
import { createLluClient } from './client.js';
import { graphLoop } from './loop.js';
import { guardLoop, guardSession, outdatedVersionGuard } from './outdated-version.js';
import { configuredRegion, regionBaseUrl, serverBaseUrl } from './regions.js';
import { createLluSession, loginSettings, type LluAuth, type LluSession } from './session.js';
import { LLU_DEVICE } from './transform.js';

export type { LluAuth, LluSession } from './session.js';
export { LLU_ERRORS, type LluCode } from './errors.js';
export { STATE_KEYS } from './persisted.js';
export { LLU_DEVICE } from './transform.js';

/** The `linkup` source settings, as the config schema (`linkupSourceSchema`) produces them. */
export type LibreLinkUpSettings = Extract<SourceSettings, { kind: 'linkup' }>;

export interface LibreLinkUpOptions {
  /** Jitter source for throttle and lockout waits; tests pin it. */
  rand?: () => number;
}

/**
 * The LibreLink Up follower source. Builds everything without I/O (check-config calls it);
 * throws ConfigError LLU001 / LLU002 for an unknown region or a malformed `server`.
 */
export function createLibreLinkUpDriver(
  settings: LibreLinkUpSettings,
  ctx: DriverContext,
  options: LibreLinkUpOptions = {},
): SourceDriver<LluAuth, LluSession> {
  const rand = options.rand ?? Math.random;
  const region = configuredRegion(settings.region);
  const baseUrl = settings.server === undefined ? regionBaseUrl(region) : serverBaseUrl(settings.server);
  const client = createLluClient({ product: settings.product, version: settings.version }, ctx.requests);
  const { session, forget } = createLluSession({
    client,
    ctx,
    rand,
    ...loginSettings(settings, { baseUrl, region }),
    patientId: settings.patientId,
    patientName: settings.patientName,
  });
  const graph = graphLoop({
    client,
    forget,
    now: () => ctx.now(),
    rand,
    version: settings.version,
    intervalSeconds: settings.intervalSeconds,
    minIntervalSeconds: settings.minIntervalSeconds,
  });
  const outdated = outdatedVersionGuard({ state: ctx.state, now: () => ctx.now(), log: ctx.log, version: settings.version });
  return {
    kind: 'linkup',
    device: LLU_DEVICE,
    baseUrl,
    session: guardSession(session, outdated),
    loops: [guardLoop(graph, outdated)],
  };
}

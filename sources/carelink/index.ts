import type { SourceSettings } from '../../lib/config/schema.js';
import type { DriverContext, SourceDriver } from '../../lib/contracts/source.js';
import { authorizedCall } from './calls.js';
import { createCareLinkClient } from './client.js';
import { CARELINK_DEVICE } from './stamp.js';
import { clError } from './errors.js';
import { placement } from './hosts.js';
import { dataLoop } from './loop.js';
import { createCareLinkSession, type CareLinkAuth, type CareLinkSession } from './session.js';
import { createTokens } from './tokens.js';

export type { CareLinkAuth, CareLinkSession } from './session.js';
export { CL_ERRORS, type ClCode } from './errors.js';
export { STATE_KEYS } from './persisted.js';
export { CARELINK_DEVICE } from './stamp.js';

/** The `minimedcarelink` source settings, as the config schema (`carelinkSourceSchema`) produces them. */
export type CareLinkSettings = Extract<SourceSettings, { kind: 'minimedcarelink' }>;

/**
 * The Medtronic CareLink source (patient or care-partner account). Builds everything without I/O
 * (check-config calls it); throws ConfigError CL002 when a password is configured (that login is
 * gone) and CL001 for a malformed `server`. The login itself is made by `gluco-hub login carelink`.
 */
export function createCareLinkDriver(settings: CareLinkSettings, ctx: DriverContext): SourceDriver<CareLinkAuth, CareLinkSession> {
  if (settings.password !== undefined) throw clError('CL002');
  const where = placement(settings.server);
  const client = createCareLinkClient(where.via, ctx.requests);
  const now = (): number => ctx.now();
  const tokens = createTokens({ client, state: ctx.state, now, log: ctx.log, shared: ctx.sharedState });
  const call = authorizedCall(client, tokens, now);
  return {
    kind: 'minimedcarelink',
    device: CARELINK_DEVICE,
    ...(where.pinned === undefined ? {} : { baseUrl: where.pinned }),
    session: createCareLinkSession({ client, call, tokens, ctx, region: settings.region ?? where.region, patientUsername: settings.patientUsername }),
    loops: [dataLoop({ call, now, log: ctx.log, intervalSeconds: settings.intervalSeconds, minIntervalSeconds: settings.minIntervalSeconds })],
  };
}

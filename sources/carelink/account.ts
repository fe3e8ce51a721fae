import type { DriverContext, SourceDriver } from '../../lib/contracts/source.js';
import { authorizedCall } from './calls.js';
import { createCareLinkClient } from './client.js';
import { discover } from './discovery.js';
import { clError } from './errors.js';
import { placement } from './hosts.js';
import type { CareLinkSettings } from './index.js';
import { dataLoop } from './loop.js';
import { patientLabel } from './patients.js';
import { detectRoute, SESSION_RENEW_MS, type CareLinkAuth, type CareLinkSession } from './session.js';
import { CARELINK_DEVICE } from './stamp.js';
import { createTokens } from './tokens.js';
import { linkedPatientsSchema, userSchema } from './wire.js';

/**
 * A CareLink care-partner account read for several linked patients (`patients: all | [usernames]`).
 * CareLink allows one login per account — a second login revokes the first — so several patients
 * of one care partner can only be read through one saved login: this one, kept in the account
 * bridge's state folder (its refresh token rotates; tokens.ts writes it once for everyone). Each
 * patient's driver reads only that patient's data, over the route the account has.
 *
 * What CareLink does not tell: `monitor/data` names no patient, so the device family (BLE pump or
 * Guardian) and with it the route (`display/message` or the M2M endpoint) is known per account, not
 * per patient. Every patient is read over the account's route; a care partner following one BLE
 * pump wearer and one Guardian wearer would read one of them over the wrong endpoint.
 */

export interface FollowedPatient {
  /** The patient's CareLink username: what `display/message` and the M2M endpoint want. */
  patientId: string;
  name: string;
}

export interface CareLinkAccount {
  /** Who the care partner follows now: the shared session (kept 12 h) and one `m2m/links/patients` call. */
  people(signal: AbortSignal): Promise<FollowedPatient[]>;
  driverFor(person: FollowedPatient, ctx: DriverContext): SourceDriver<CareLinkAuth, CareLinkSession>;
  close(): void;
}

type AccountSession = Omit<CareLinkSession, 'patient'>;

/** Builds everything without I/O; CL002 / CL001 as the one-patient driver. */
export function createCareLinkAccount(settings: CareLinkSettings, ctx: DriverContext): CareLinkAccount {
  if (settings.password !== undefined) throw clError('CL002');
  const where = placement(settings.server);
  const now = (): number => ctx.now();
  const client = createCareLinkClient(where.via, ctx.requests);
  const tokens = createTokens({ client, state: ctx.state, now, log: ctx.log, shared: ctx.sharedState });
  const call = authorizedCall(client, tokens, now);
  const region = settings.region ?? where.region;
  const lifetime = new AbortController();
  let current: { session: AccountSession; at: number } | undefined;
  let pending: Promise<AccountSession> | undefined;

  async function establish(signal: AbortSignal): Promise<AccountSession> {
    const record = await tokens.load();
    if (region !== undefined && region !== record.region) throw clError('CL007', { params: { saved: record.region, configured: region } });
    const auth: CareLinkAuth = { endpoints: await discover(client, { region: record.region }, signal, now) };
    const me = await call({ what: 'the account (users/me)', url: `${auth.endpoints.carelinkBase}/users/me` }, userSchema, signal);
    if (!/CARE_?PARTNER/i.test(me.role)) throw clError('CL025', { params: { role: me.role } });
    const routed = await detectRoute(call, auth.endpoints, true, signal);
    ctx.log.info({ route: routed.route, family: routed.family, region: auth.endpoints.region }, 'reading CareLink for every linked patient over this route');
    return { ...auth, username: me.username, carePartner: true, ...routed };
  }

  /** Single flight, renewed twice a day like the one-patient session. */
  function session(signal: AbortSignal): Promise<AccountSession> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (current && now() - current.at < SESSION_RENEW_MS) return Promise.resolve(current.session);
    pending ??= establish(lifetime.signal)
      .then((fresh) => (current = { session: fresh, at: now() }).session)
      .finally(() => (pending = undefined));
    return pending;
  }

  return {
    async people(signal) {
      const { endpoints } = await session(signal);
      const links = await call({ what: 'the linked patients', url: `${endpoints.carelinkBase}/m2m/links/patients` }, linkedPatientsSchema, signal);
      return links.map((p) => ({ patientId: p.username, name: [p.firstName, p.lastName].filter((part) => part).join(' ') || patientLabel(p) }));
    },
    driverFor(person, personCtx) {
      const personCall = authorizedCall(createCareLinkClient(where.via, personCtx.requests), tokens, now);
      return {
        kind: 'minimedcarelink',
        device: CARELINK_DEVICE,
        ...(where.pinned === undefined ? {} : { baseUrl: where.pinned }),
        session: {
          authenticate: async (signal) => ({ endpoints: (await session(signal)).endpoints }),
          // Who the patient is came with the account's links call: authorizing costs no request.
          authorize: async (_auth, signal) => ({ ...(await session(signal)), patient: person.patientId }),
          expireAfterMs: SESSION_RENEW_MS,
        },
        loops: [dataLoop({ call: personCall, now, log: personCtx.log, intervalSeconds: settings.intervalSeconds, minIntervalSeconds: settings.minIntervalSeconds })],
      };
    },
    close() {
      lifetime.abort(new Error('the hub stopped'));
    },
  };
}

import { SessionExpiredError } from '../../lib/errors.js';
import type { DriverContext, SourceDriver } from '../../lib/contracts/source.js';
import type { Ticket } from './client.js';
import { createLluClient } from './client.js';
import type { LibreLinkUpOptions, LibreLinkUpSettings } from './index.js';
import { graphLoop } from './loop.js';
import { guardLoop, guardSession, outdatedVersionGuard } from './outdated-version.js';
import { patientName } from './patients.js';
import { configuredRegion, regionBaseUrl, serverBaseUrl } from './regions.js';
import { createLluSession, loginSettings, type LluAuth, type LluSession } from './session.js';
import { LLU_DEVICE } from './transform.js';

/**
 * One LibreLink Up follower account read for everyone it follows (`patients: all | [ids…]`): one
 * login and one ticket, shared by the drivers of every followed person, so N children cost one
 * login, one connections call per poll (`people`) and one graph call per child per poll — not N
 * logins against the account's limits. The account's ticket, lockout and refusal records live in
 * the account bridge's state folder, as a single bridge's do; each person's driver keeps nothing.
 */

export interface FollowedPerson {
  patientId: string;
  /** "First Last" as the connection lists it; may be empty. */
  name: string;
}

export interface LluAccount {
  /** Who the account follows now: the shared login (kept, or one fresh login) and one connections call. */
  people(signal: AbortSignal): Promise<FollowedPerson[]>;
  /** One followed person's driver: logs in through the account, reads only this person's graph. */
  driverFor(person: FollowedPerson, ctx: DriverContext): SourceDriver<LluAuth, LluSession>;
  /** Ends a login in flight (the hub stops). */
  close(): void;
}

/** Re-login a little before the ticket ends, as the single bridge does (session.ts). */
const EXPIRY_MARGIN_MS = 60 * 60_000;

/** Builds everything without I/O; throws LLU001 / LLU002 like the single-person driver. */
export function createLluAccount(settings: LibreLinkUpSettings, ctx: DriverContext, options: LibreLinkUpOptions = {}): LluAccount {
  const rand = options.rand ?? Math.random;
  const region = configuredRegion(settings.region);
  const baseUrl = settings.server === undefined ? regionBaseUrl(region) : serverBaseUrl(settings.server);
  const app = { product: settings.product, version: settings.version };
  const handle = createLluSession({
    client: createLluClient(app, ctx.requests),
    ctx,
    rand,
    ...loginSettings(settings, { baseUrl, region }),
  });
  // One outdated-version wait for the account (LLU028): no person asks again before it is over.
  const outdated = outdatedVersionGuard({ state: ctx.state, now: () => ctx.now(), log: ctx.log, version: settings.version });
  // The login belongs to the account, not to the person whose frame asked first: a person retired
  // mid-login must not abort everyone else's.
  const lifetime = new AbortController();
  let current: LluAuth | undefined;
  let pending: Promise<LluAuth> | undefined;

  /** Single flight: every person waiting for a login gets the one answer. */
  function auth(signal: AbortSignal): Promise<LluAuth> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (current && current.expiresMs - ctx.now() > EXPIRY_MARGIN_MS) return Promise.resolve(current);
    pending ??= handle
      .login(lifetime.signal)
      .then((fresh) => (current = fresh))
      .finally(() => (pending = undefined));
    return pending;
  }

  async function forget(ticket: Ticket): Promise<void> {
    if (current && current.token.reveal() === ticket.token.reveal()) current = undefined;
    await handle.forget(ticket);
  }

  return {
    async people(signal) {
      await outdated.check();
      let used: LluAuth | undefined;
      try {
        used = await auth(signal);
        const listed = await handle.listConnections(used, signal);
        if (listed.auth !== used) current = listed.auth;
        return listed.connections.map((c) => ({ patientId: c.patientId, name: patientName(c) }));
      } catch (error) {
        if (error instanceof SessionExpiredError && used !== undefined && current === used) current = undefined;
        await outdated.note(error);
        throw error;
      }
    },
    driverFor(person, personCtx) {
      const client = createLluClient(app, personCtx.requests);
      return {
        kind: 'linkup',
        device: LLU_DEVICE,
        baseUrl,
        session: guardSession<LluAuth, LluSession>(
          {
            authenticate: auth,
            // The person is known from the account's connections call: authorizing costs no request.
            authorize: (login) => Promise.resolve({ ...login, patientId: person.patientId, patientName: person.name }),
          },
          outdated,
        ),
        loops: [
          guardLoop(
            graphLoop({
              client,
              forget,
              now: () => personCtx.now(),
              rand,
              version: settings.version,
              intervalSeconds: settings.intervalSeconds,
              minIntervalSeconds: settings.minIntervalSeconds,
            }),
            outdated,
          ),
        ],
      };
    },
    close() {
      lifetime.abort(new Error('the hub stopped'));
    },
  };
}

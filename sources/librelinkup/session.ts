import { errorCode, RateLimitError, SessionExpiredError } from '../../lib/errors.js';
import { loginGuard } from '../../lib/login-guard.js';
import { Secret } from '../../lib/secret.js';
import type { DriverContext, SessionFunctions } from '../../lib/contracts/source.js';
import type { Ticket } from './client.js';
import { lluError } from './errors.js';
import { login, type LoginOptions, type LoginResult } from './login.js';
import { patientName, selectPatient, type PatientPin } from './patients.js';
import {
  persistedSessionSchema,
  readRecord,
  STATE_KEYS,
  type CredentialParts,
  type PersistedSession,
} from './persisted.js';
import { causeOf, dataBody } from './responses.js';
import { connectionsResponseSchema, firstIssue, type Connection } from './wire.js';

/** A LibreLink Up login: the ticket and where it is valid. */
export interface LluAuth extends Ticket {
  /** Epoch ms. */
  expiresMs: number;
  region: string;
  /** Came from the state store, not from a login in this process. */
  restored: boolean;
}

/** A login plus the followed patient whose graph the loop reads. */
export interface LluSession extends LluAuth {
  patientId: string;
  patientName: string;
}

/** The login's settings (its `baseUrl` is the one the configuration names), the patient pin and the driver's context. */
export interface SessionOptions extends PatientPin, Omit<LoginOptions, 'log' | 'now'> {
  ctx: DriverContext;
}

/** Re-login a little before the 180-day ticket ends rather than fail a frame on it. */
const EXPIRY_MARGIN_MS = 60 * 60_000;

function toAuth(record: PersistedSession, restored: boolean): LluAuth {
  return {
    baseUrl: record.baseUrl,
    token: new Secret(record.token),
    accountId: record.accountId,
    expiresMs: record.expires,
    region: record.region,
    restored,
  };
}

export interface LluSessionHandle {
  session: SessionFunctions<LluAuth, LluSession>;
  /** Drops the persisted ticket if it is this one (after a 401 or on expiry). */
  forget: (ticket: Ticket) => Promise<void>;
  /** The saved ticket, or a fresh login (the login guard applies): what `session.authenticate` does. */
  login: (signal: AbortSignal) => Promise<LluAuth>;
  /**
   * Everyone the account follows, with the login that listed them: a restored ticket the server no
   * longer knows is replaced by one fresh login, as `authorize` does (account.ts, following everyone).
   */
  listConnections: (auth: LluAuth, signal: AbortSignal) => Promise<{ auth: LluAuth; connections: Connection[] }>;
}

export function createLluSession(options: SessionOptions): LluSessionHandle {
  const { ctx } = options;
  const parts = (): CredentialParts => ({ username: options.username, password: options.password.reveal(), baseUrl: options.baseUrl });
  const guard = loginGuard({
    state: ctx.state,
    now: () => ctx.now(),
    log: ctx.log,
    vendor: 'LibreLink Up',
    keys: STATE_KEYS,
    credentials: parts,
    waiting: (waitMs, reason, cause) => lluError('LLU006', { params: { seconds: Math.ceil(waitMs / 1000), reason }, retryAfterMs: waitMs, cause }),
    refusedBefore: (cause) => lluError('LLU004', { cause }),
  });
  const persist = (action: () => Promise<void>, what: string): Promise<void> => guard.persist(action, what);

  async function restore(): Promise<LluAuth | undefined> {
    const record = await readRecord(ctx.state, STATE_KEYS.session, persistedSessionSchema);
    if (!record || record.username !== options.username || record.configuredBaseUrl !== options.baseUrl) return undefined;
    if (record.expires - ctx.now() <= EXPIRY_MARGIN_MS) return undefined;
    return toAuth(record, true);
  }

  async function remember(result: LoginResult): Promise<LluAuth> {
    const record: PersistedSession = {
      token: result.token,
      expires: result.expiresMs,
      accountId: result.accountId,
      baseUrl: result.baseUrl,
      region: result.region,
      configuredBaseUrl: options.baseUrl,
      username: options.username,
      savedAt: ctx.now(),
    };
    await persist(async () => {
      await ctx.state.write(STATE_KEYS.session, record);
      await ctx.state.remove(STATE_KEYS.refused);
      await ctx.state.remove(STATE_KEYS.lockout);
    }, 'session');
    ctx.log.info({ region: result.region, baseUrl: result.baseUrl }, 'logged in to LibreLink Up');
    return toAuth(record, false);
  }

  async function fail(error: unknown): Promise<never> {
    if (error instanceof RateLimitError) await guard.lockUntil(ctx.now() + error.retryAfterMs, error.message);
    else if (errorCode(error) === 'LLU003') await guard.refuse();
    throw error;
  }

  async function freshLogin(signal: AbortSignal): Promise<LluAuth> {
    await guard.check();
    const result = await login({ ...options, log: ctx.log, now: () => ctx.now() }, signal).catch(fail);
    return remember(result);
  }

  async function forget(ticket: Ticket): Promise<void> {
    const record = await readRecord(ctx.state, STATE_KEYS.session, persistedSessionSchema);
    if (record && record.token === ticket.token.reveal()) await persist(() => ctx.state.remove(STATE_KEYS.session), 'session removal');
  }

  async function connections(auth: LluAuth, signal: AbortSignal): Promise<Connection[]> {
    const response = await options.client.connections(auth, signal);
    const body = dataBody(response, { nowMs: ctx.now(), rand: options.rand, version: options.version });
    const parsed = connectionsResponseSchema.safeParse(body);
    if (parsed.success) return parsed.data.data;
    throw lluError('LLU023', { params: { what: response.what, reason: firstIssue(parsed.error) }, status: response.httpStatus, cause: causeOf(response) });
  }

  async function pickPatient(auth: LluAuth, signal: AbortSignal): Promise<LluSession> {
    const data = await connections(auth, signal);
    const cause = new Error(`GET /llu/connections listed ${data.length} connection(s)`);
    const chosen = selectPatient(data, options, cause);
    const name = patientName(chosen);
    ctx.log.info({ patientId: chosen.patientId, patient: name }, 'following this LibreLink Up connection');
    return { ...auth, patientId: chosen.patientId, patientName: name };
  }

  async function signIn(signal: AbortSignal): Promise<LluAuth> {
    if (signal.aborted) throw signal.reason;
    return (await restore()) ?? freshLogin(signal);
  }

  async function listConnections(auth: LluAuth, signal: AbortSignal): Promise<{ auth: LluAuth; connections: Connection[] }> {
    try {
      return { auth, connections: await connections(auth, signal) };
    } catch (error) {
      if (!(error instanceof SessionExpiredError)) throw error;
      await forget(auth);
      if (!auth.restored) throw error;
      const fresh = await freshLogin(signal);
      return { auth: fresh, connections: await connections(fresh, signal) };
    }
  }

  const session: SessionFunctions<LluAuth, LluSession> = {
    authenticate: signIn,
    async authorize(auth, signal) {
      try {
        return await pickPatient(auth, signal);
      } catch (error) {
        if (!(error instanceof SessionExpiredError)) throw error;
        await forget(auth);
        // A ticket from an earlier run may have been revoked; one fresh login is still "once per session".
        if (!auth.restored) throw error;
        return pickPatient(await freshLogin(signal), signal);
      }
    },
  };
  return { session, forget, login: signIn, listConnections };
}

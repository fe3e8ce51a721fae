import { restoredOr, retryOnceFresh, savedSession } from '../../lib/saved-session.js';
import { Secret } from '../../lib/secret.js';
import type { DriverContext, SessionFunctions } from '../../lib/contracts/source.js';
import type { Ticket } from './client.js';
import { lluError } from './errors.js';
import { login, type LoginOptions, type LoginResult } from './login.js';
import { patientName, selectPatient, type PatientPin } from './patients.js';
import { persistedSessionSchema, STATE_KEYS, type CredentialParts, type PersistedSession } from './persisted.js';
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

/**
 * Where and as whom a bridge (or a follower account) logs in, from its settings: the single
 * bridge and the account build their session from the same fields.
 */
export function loginSettings(
  settings: { username: string; password: SessionOptions['password']; server?: string | undefined; acceptTerms: boolean; version: string },
  where: { baseUrl: string; region: SessionOptions['region'] },
): Pick<SessionOptions, 'username' | 'password' | 'baseUrl' | 'region' | 'pinnedServer' | 'acceptTerms' | 'version'> {
  return {
    username: settings.username,
    password: settings.password,
    baseUrl: where.baseUrl,
    region: where.region,
    pinnedServer: settings.server !== undefined,
    acceptTerms: settings.acceptTerms,
    version: settings.version,
  };
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
  const saved = savedSession({
    ctx,
    vendor: 'LibreLink Up',
    keys: STATE_KEYS,
    schema: persistedSessionSchema,
    credentials: parts,
    error: lluError,
    // LLU028's wait belongs to the version sent (outdated-version.ts), so a new version is not held back by it.
    codes: { waiting: 'LLU006', refusedBefore: 'LLU004', refused: ['LLU003'], ownWait: ['LLU028'] },
    refusalDropsSession: false,
  });

  async function restore(): Promise<LluAuth | undefined> {
    const fits = (record: PersistedSession): boolean =>
      record.username === options.username && record.configuredBaseUrl === options.baseUrl && record.expires - ctx.now() > EXPIRY_MARGIN_MS;
    const record = await saved.restore(fits);
    return record && toAuth(record, true);
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
    await saved.remember(record);
    ctx.log.info({ region: result.region, baseUrl: result.baseUrl }, 'logged in to LibreLink Up');
    return toAuth(record, false);
  }

  async function freshLogin(signal: AbortSignal): Promise<LluAuth> {
    await saved.check();
    const result = await login({ ...options, log: ctx.log, now: () => ctx.now() }, signal).catch(saved.failed);
    return remember(result);
  }

  const forget = (ticket: Ticket): Promise<void> => saved.forget((record) => record.token === ticket.token.reveal());

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

  const signIn = (signal: AbortSignal): Promise<LluAuth> => restoredOr(signal, restore, freshLogin);

  /** Everyone followed, with the login that listed them (a fresh one when the saved ticket was revoked). */
  const listConnections = retryOnceFresh<LluAuth, { auth: LluAuth; connections: Connection[] }>({
    establish: async (auth, signal) => ({ auth, connections: await connections(auth, signal) }),
    forget,
    login: freshLogin,
  });

  const session: SessionFunctions<LluAuth, LluSession> = {
    authenticate: signIn,
    // A ticket from an earlier run may have been revoked: one fresh login then.
    authorize: retryOnceFresh<LluAuth, LluSession>({ establish: pickPatient, forget, login: freshLogin }),
  };
  return { session, forget, login: signIn, listConnections };
}

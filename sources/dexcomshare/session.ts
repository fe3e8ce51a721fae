import { errorCode, RateLimitError } from '../../lib/errors.js';
import { loginGuard } from '../../lib/login-guard.js';
import { Secret } from '../../lib/secret.js';
import type { DriverContext, SessionFunctions } from '../../lib/contracts/source.js';
import type { Endpoint, ShareClient } from './client.js';
import { dexError } from './errors.js';
import {
  persistedAccountSchema,
  persistedSessionSchema,
  readRecord,
  STATE_KEYS,
  type CredentialParts,
} from './persisted.js';
import { LOCK_MINUTES, uuidAnswer } from './responses.js';

/**
 * The two-step Share login (vendor-apis.md §2.2): `authenticate` = step 1 (account id, cached and
 * persisted: it never changes), `authorize` = step 2 (session id, persisted). After a
 * `SessionIdNotFound` the machines call both again once; step 1 then answers from the cache, so
 * only step 2 reaches Dexcom.
 */

const HOUR_MS = 60 * 60_000;
/** Share sessions are assumed to last 24 h (undocumented); renew an hour before. */
export const SESSION_RENEW_MS = 23 * HOUR_MS;

export interface ShareAuth extends Endpoint {
  accountId: Secret;
  /** Came from the state store, not from step 1 in this process. */
  restored: boolean;
}

export interface ShareSession extends Endpoint {
  sessionId: Secret;
  /** Epoch ms of step 2 (in this or an earlier run). */
  establishedMs: number;
  restored: boolean;
}

export interface SessionOptions {
  client: ShareClient;
  ctx: DriverContext;
  endpoint: Endpoint;
  accountName: string;
  password: Secret;
}

export interface ShareSessionHandle {
  session: SessionFunctions<ShareAuth, ShareSession>;
  /** Drops the persisted session if it is this one (after SessionIdNotFound or on age). */
  forget: (session: ShareSession) => Promise<void>;
}

export function createShareSession(options: SessionOptions): ShareSessionHandle {
  const { ctx, client, endpoint } = options;
  // The application id is part of "where": with CONNECT_SHARE_SERVER pinned, changing the region changes only it.
  const parts = (): CredentialParts => ({
    username: options.accountName,
    password: options.password.reveal(),
    baseUrl: `${endpoint.baseUrl}#${endpoint.applicationId}`,
  });

  const guard = loginGuard({
    state: ctx.state,
    now: () => ctx.now(),
    log: ctx.log,
    vendor: 'Dexcom Share',
    keys: STATE_KEYS,
    credentials: parts,
    waiting: (waitMs, reason, cause) => dexError('DEX005', { params: { seconds: Math.ceil(waitMs / 1000), reason }, retryAfterMs: waitMs, cause }),
    refusedBefore: (cause) => dexError('DEX003', { cause }),
  });
  const persist = (action: () => Promise<void>, what: string): Promise<void> => guard.persist(action, what);

  /** Remembers what a refusal or a lock means for the next login, this run or the next. */
  async function fail(error: unknown): Promise<never> {
    const code = errorCode(error);
    if (error instanceof RateLimitError) await guard.lockUntil(ctx.now() + error.retryAfterMs, error.message);
    else if (code === 'DEX004') await guard.lockUntil(ctx.now() + LOCK_MINUTES * 60_000, (error as Error).message);
    else if (code === 'DEX002' || code === 'DEX017') await guard.refuse(() => ctx.state.remove(STATE_KEYS.session));
    throw error;
  }

  async function restoredAccount(): Promise<ShareAuth | undefined> {
    const record = await readRecord(ctx.state, STATE_KEYS.account, persistedAccountSchema);
    if (!record || record.accountName !== options.accountName || record.baseUrl !== endpoint.baseUrl) return undefined;
    return { ...endpoint, accountId: new Secret(record.accountId), restored: true };
  }

  async function restoredSession(auth: ShareAuth): Promise<ShareSession | undefined> {
    const record = await readRecord(ctx.state, STATE_KEYS.session, persistedSessionSchema);
    if (!record || record.accountId !== auth.accountId.reveal() || record.baseUrl !== endpoint.baseUrl) return undefined;
    const age = ctx.now() - record.savedAt;
    if (age < 0 || age >= SESSION_RENEW_MS) return undefined;
    return { ...endpoint, sessionId: new Secret(record.sessionId), establishedMs: record.savedAt, restored: true };
  }

  async function stepOne(signal: AbortSignal): Promise<ShareAuth> {
    await guard.check();
    const response = await client.authenticate(endpoint, options.accountName, options.password, signal);
    const accountId = await Promise.resolve()
      .then(() => uuidAnswer(response, ctx.now()))
      .catch(fail);
    const record = { accountId, accountName: options.accountName, baseUrl: endpoint.baseUrl, savedAt: ctx.now() };
    await persist(() => ctx.state.write(STATE_KEYS.account, record), 'account id');
    return { ...endpoint, accountId: new Secret(accountId), restored: false };
  }

  async function stepTwo(auth: ShareAuth, signal: AbortSignal): Promise<ShareSession> {
    await guard.check();
    const response = await client.loginById(endpoint, auth.accountId, options.password, signal);
    const sessionId = await Promise.resolve()
      .then(() => uuidAnswer(response, ctx.now()))
      .catch(fail);
    const record = { sessionId, accountId: auth.accountId.reveal(), baseUrl: endpoint.baseUrl, savedAt: ctx.now() };
    await persist(async () => {
      await ctx.state.write(STATE_KEYS.session, record);
      await ctx.state.remove(STATE_KEYS.refused);
      await ctx.state.remove(STATE_KEYS.lockout);
    }, 'session');
    ctx.log.info({ baseUrl: endpoint.baseUrl }, 'logged in to Dexcom Share');
    return { ...endpoint, sessionId: new Secret(sessionId), establishedMs: record.savedAt, restored: false };
  }

  async function forget(session: ShareSession): Promise<void> {
    const record = await readRecord(ctx.state, STATE_KEYS.session, persistedSessionSchema);
    if (record && record.sessionId === session.sessionId.reveal()) await persist(() => ctx.state.remove(STATE_KEYS.session), 'session removal');
  }

  const session: SessionFunctions<ShareAuth, ShareSession> = {
    async authenticate(signal) {
      if (signal.aborted) throw signal.reason;
      return (await restoredAccount()) ?? stepOne(signal);
    },
    async authorize(auth, signal) {
      if (signal.aborted) throw signal.reason;
      return (await restoredSession(auth)) ?? stepTwo(auth, signal);
    },
    expireAfterMs: SESSION_RENEW_MS,
  };
  return { session, forget };
}

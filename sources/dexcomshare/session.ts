import { restoredOr, savedSession, savedWithin } from '../../lib/saved-session.js';
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
  type PersistedSession,
} from './persisted.js';
import { LOCK_MINUTES, uuidAnswer } from './responses.js';

/**
 * The two-step Share login: `authenticate` = step 1 (account id, cached and
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

  const saved = savedSession({
    ctx,
    vendor: 'Dexcom Share',
    keys: STATE_KEYS,
    schema: persistedSessionSchema,
    credentials: parts,
    error: dexError,
    codes: { waiting: 'DEX005', refusedBefore: 'DEX003', refused: ['DEX002', 'DEX017'], locked: { DEX004: LOCK_MINUTES * 60_000 } },
    refusalDropsSession: true,
  });

  async function restoredAccount(): Promise<ShareAuth | undefined> {
    const record = await readRecord(ctx.state, STATE_KEYS.account, persistedAccountSchema);
    if (!record || record.accountName !== options.accountName || record.baseUrl !== endpoint.baseUrl) return undefined;
    return { ...endpoint, accountId: new Secret(record.accountId), restored: true };
  }

  async function restoredSession(auth: ShareAuth): Promise<ShareSession | undefined> {
    const fits = (record: PersistedSession): boolean =>
      record.accountId === auth.accountId.reveal() && record.baseUrl === endpoint.baseUrl && savedWithin(record.savedAt, ctx.now(), SESSION_RENEW_MS);
    const record = await saved.restore(fits);
    return record && { ...endpoint, sessionId: new Secret(record.sessionId), establishedMs: record.savedAt, restored: true };
  }

  async function stepOne(signal: AbortSignal): Promise<ShareAuth> {
    await saved.check();
    const response = await client.authenticate(endpoint, options.accountName, options.password, signal);
    const accountId = await Promise.resolve()
      .then(() => uuidAnswer(response, ctx.now()))
      .catch(saved.failed);
    const record = { accountId, accountName: options.accountName, baseUrl: endpoint.baseUrl, savedAt: ctx.now() };
    await saved.persist(() => ctx.state.write(STATE_KEYS.account, record), 'account id');
    return { ...endpoint, accountId: new Secret(accountId), restored: false };
  }

  async function stepTwo(auth: ShareAuth, signal: AbortSignal): Promise<ShareSession> {
    await saved.check();
    const response = await client.loginById(endpoint, auth.accountId, options.password, signal);
    const sessionId = await Promise.resolve()
      .then(() => uuidAnswer(response, ctx.now()))
      .catch(saved.failed);
    const record = { sessionId, accountId: auth.accountId.reveal(), baseUrl: endpoint.baseUrl, savedAt: ctx.now() };
    await saved.remember(record);
    ctx.log.info({ baseUrl: endpoint.baseUrl }, 'logged in to Dexcom Share');
    return { ...endpoint, sessionId: new Secret(sessionId), establishedMs: record.savedAt, restored: false };
  }

  const forget = (session: ShareSession): Promise<void> => saved.forget((record) => record.sessionId === session.sessionId.reveal());

  const session: SessionFunctions<ShareAuth, ShareSession> = {
    authenticate: (signal) => restoredOr(signal, restoredAccount, stepOne),
    authorize: (auth, signal) => restoredOr(signal, () => restoredSession(auth), (s) => stepTwo(auth, s)),
    expireAfterMs: SESSION_RENEW_MS,
  };
  return { session, forget };
}

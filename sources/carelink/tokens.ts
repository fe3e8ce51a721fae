import type { Logger } from '../../lib/logger.js';
import { Secret } from '../../lib/secret.js';
import type { StateStore } from '../../lib/state-store.js';
import type { CareLinkClient } from './client.js';
import { clError } from './errors.js';
import { jwtExpiryMs } from './jwt.js';
import { loginRecordSchema, readRecord, STATE_KEYS, type LoginRecord } from './persisted.js';
import { tokenAnswer } from './responses.js';
import type { TokenAnswer } from './wire.js';

/**
 * The saved CareLink login and its refresh. The access token is
 * refreshed shortly before it expires and once after a 401/403; a rotated refresh token is written
 * to the state store (atomically) before the new access token is handed out. Only `invalid_grant`
 * / `invalid_client` end the login: that is remembered, so no request is made with it again until
 * `gluco-hub login carelink` writes a new one (picked up without a restart).
 */

const MINUTE_MS = 60_000;
/** Refresh when the access token has less than this left. */
export const REFRESH_MARGIN_MS = 5 * MINUTE_MS;
/** When neither `expires_in` nor the JWT says how long an access token lives. */
export const ASSUMED_LIFETIME_MS = 55 * MINUTE_MS;

export interface TokensOptions {
  client: CareLinkClient;
  state: StateStore;
  now: () => number;
  log: Logger;
  /**
   * Another process owns the login (`capture` while `forever` runs): use the saved access token while
   * it is valid and never refresh — CareLink rotates the refresh token, so the loser's login dies (CL024).
   */
  shared?: boolean | undefined;
}

export interface Tokens {
  /** The saved login (re-read from the store, so a new login is picked up). CL003 / CL004. */
  load(): Promise<LoginRecord>;
  /** An access token with at least `REFRESH_MARGIN_MS` left. */
  access(signal: AbortSignal): Promise<Secret>;
  /** After a 401/403 with `used`: a refreshed access token (one refresh, however many callers ask). */
  renew(used: Secret): Promise<Secret>;
}

/** The record after a token answer: the refresh token is kept when the server did not rotate it. */
export function nextRecord(previous: Omit<LoginRecord, 'savedAt' | 'expiresAt' | 'accessToken' | 'revoked'> & { refreshToken: string }, tokens: TokenAnswer, nowMs: number): LoginRecord {
  const expiresAt =
    tokens.expires_in !== undefined ? nowMs + tokens.expires_in * 1000 : (jwtExpiryMs(tokens.access_token) ?? nowMs + ASSUMED_LIFETIME_MS);
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token ?? previous.refreshToken,
    clientId: previous.clientId,
    tokenUrl: previous.tokenUrl,
    ...(previous.audience === undefined ? {} : { audience: previous.audience }),
    ...((tokens.scope ?? previous.scope) === undefined ? {} : { scope: tokens.scope ?? previous.scope }),
    expiresAt,
    region: previous.region,
    origin: previous.origin,
    savedAt: nowMs,
  };
}

export function createTokens(options: TokensOptions): Tokens {
  const { client, state, now, log } = options;
  let current: LoginRecord | undefined;
  let inFlight: Promise<LoginRecord> | undefined;

  async function save(record: LoginRecord, what: string): Promise<void> {
    try {
      await state.write(STATE_KEYS.login, record);
    } catch (error) {
      log.warn({ err: error }, `could not save the ${what}: gluco-hub keeps using it, but a restart before the next successful save needs \`gluco-hub login carelink\` again`);
    }
  }

  async function load(): Promise<LoginRecord> {
    const stored = await readRecord(state, STATE_KEYS.login, loginRecordSchema);
    // The newer one wins: a login made while running, or the in-memory tokens when a save failed.
    if (stored && (current === undefined || stored.savedAt >= current.savedAt)) current = stored;
    if (current === undefined) throw clError('CL003');
    if (current.revoked) {
      const { at, reason } = current.revoked;
      throw clError('CL004', { params: { reason: `${reason}; refused at ${new Date(at).toISOString()}` } });
    }
    return current;
  }

  async function refresh(record: LoginRecord): Promise<LoginRecord> {
    // Not the frame's signal: cutting the answer off after CareLink rotated the token would lose the only valid one.
    const response = await client.send(
      {
        what: 'the token refresh',
        url: record.tokenUrl,
        form: { grant_type: 'refresh_token', client_id: record.clientId, refresh_token: record.refreshToken },
      },
      new AbortController().signal,
    );
    const outcome = tokenAnswer(response, now());
    if (outcome.kind === 'refused') {
      const revoked: LoginRecord = { ...record, revoked: { at: now(), reason: outcome.reason }, savedAt: now() };
      current = revoked;
      await save(revoked, 'refused CareLink login');
      throw clError('CL004', { params: { reason: outcome.reason }, cause: outcome.cause });
    }
    const next = nextRecord(record, outcome.tokens, now());
    current = next;
    await save(next, outcome.tokens.refresh_token === undefined ? 'refreshed CareLink access token' : 'rotated CareLink refresh token');
    log.debug({ rotated: outcome.tokens.refresh_token !== undefined, expiresAt: new Date(next.expiresAt).toISOString() }, 'refreshed the CareLink access token');
    return next;
  }

  function refreshOnce(record: LoginRecord): Promise<LoginRecord> {
    if (options.shared) return Promise.reject(clError('CL024'));
    inFlight ??= refresh(record).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  return {
    load,
    async access(signal) {
      if (signal.aborted) throw signal.reason;
      const record = await load();
      if (record.expiresAt - now() > REFRESH_MARGIN_MS) return new Secret(record.accessToken);
      // The owner refreshes it when it is due; until it has run out, the saved one still works.
      if (options.shared && record.expiresAt > now()) return new Secret(record.accessToken);
      return new Secret((await refreshOnce(record)).accessToken);
    },
    async renew(used) {
      const record = await load();
      // Another call refreshed since `used` went out: its token is the answer.
      if (record.accessToken !== used.reveal()) return new Secret(record.accessToken);
      return new Secret((await refreshOnce(record)).accessToken);
    },
  };
}

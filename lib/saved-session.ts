import type { z } from 'zod';
import type { DriverContext } from './contracts/source.js';
import type { CredentialParts } from './credential-fingerprint.js';
import type { TableErrorOptions } from './error-table.js';
import { errorCode, RateLimitError, SessionExpiredError } from './errors.js';
import { loginGuard } from './login-guard.js';
import { readRecord } from './state-record.js';

/**
 * A vendor login kept in the bridge's state store, so a restart does not log in again: restore it
 * while it still serves, save a fresh one, forget one the vendor stopped honouring. Around it the
 * login guard: no login while a lockout runs or with credentials the vendor refused.
 */

export interface SavedSessionOptions<R, Code extends string> {
  ctx: Pick<DriverContext, 'state' | 'now' | 'log'>;
  /** `Dexcom Share`, `LibreLink Up`: names the vendor in the warning when the state cannot be saved. */
  vendor: string;
  /** The state-store keys; users' saved state is read under them, so they never change. */
  keys: { session: string; lockout: string; refused: string };
  schema: z.ZodType<R>;
  credentials: () => CredentialParts;
  /** The driver's error table. */
  error: (code: Code, options?: TableErrorOptions) => Error;
  /** The driver's codes (each one of `error`'s). */
  codes: NoInfer<{
    /** "No login before the lockout ends" (params `seconds`, `reason`). */
    waiting: Code;
    /** "These credentials were refused before". */
    refusedBefore: Code;
    /** The vendor refused the credentials: they are not tried again until they change. */
    refused: readonly Code[];
    /** The vendor locked the account, with how long no login is tried. */
    locked?: Partial<Readonly<Record<Code, number>>>;
    /** Waits the driver keeps itself (not the shared lockout), e.g. one tied to the app version sent. */
    ownWait?: readonly Code[];
  }>;
  /** Whether a refusal also drops the saved session. */
  refusalDropsSession: boolean;
}

export interface SavedSession<R> {
  /** Throws the driver's coded error when no login may be tried now. */
  check(): Promise<void>;
  /** Saving is best effort: a full disk must not hide the vendor's answer from the user. */
  persist(action: () => Promise<void>, what: string): Promise<void>;
  /** The saved record, when `fits` says it still serves this configuration; an unreadable one counts as absent. */
  restore(fits: (record: R) => boolean): Promise<R | undefined>;
  /** After a login: saves it, and clears the lockout and refusal a working login makes stale. */
  remember(record: R): Promise<void>;
  /** Drops the saved record when `isThis` says it is the one that stopped working. */
  forget(isThis: (record: R) => boolean): Promise<void>;
  /** Remembers what a refused or throttled login means for the next one (this run or the next), then throws `error` on. */
  failed: (error: unknown) => Promise<never>;
}

export function savedSession<R, Code extends string>(options: SavedSessionOptions<R, Code>): SavedSession<R> {
  const { ctx, keys, schema, codes, error: coded } = options;
  const { state } = ctx;
  const now = (): number => ctx.now();
  const guard = loginGuard({
    state,
    now,
    log: ctx.log,
    vendor: options.vendor,
    keys,
    credentials: options.credentials,
    waiting: (waitMs, reason, cause) => coded(codes.waiting, { params: { seconds: Math.ceil(waitMs / 1000), reason }, retryAfterMs: waitMs, cause }),
    refusedBefore: (cause) => coded(codes.refusedBefore, { cause }),
  });
  const read = (): Promise<R | undefined> => readRecord(state, keys.session, schema);
  const drop = (): Promise<void> => state.remove(keys.session);
  return {
    check: () => guard.check(),
    persist: (action, what) => guard.persist(action, what),
    async restore(fits) {
      const record = await read();
      return record !== undefined && fits(record) ? record : undefined;
    },
    remember(record) {
      return guard.persist(async () => {
        await state.write(keys.session, record);
        await state.remove(keys.refused);
        await state.remove(keys.lockout);
      }, 'session');
    },
    async forget(isThis) {
      const record = await read();
      if (record !== undefined && isThis(record)) await guard.persist(drop, 'session removal');
    },
    async failed(error) {
      const code = errorCode(error) as Code | undefined;
      const lockMs = code !== undefined && codes.locked && Object.hasOwn(codes.locked, code) ? codes.locked[code] : undefined;
      if (code !== undefined && codes.ownWait?.includes(code)) throw error;
      if (error instanceof RateLimitError) await guard.lockUntil(now() + error.retryAfterMs, error.message);
      else if (lockMs !== undefined) await guard.lockUntil(now() + lockMs, (error as Error).message);
      else if (code !== undefined && codes.refused.includes(code)) await guard.refuse(options.refusalDropsSession ? drop : undefined);
      throw error;
    },
  };
}

/** Whether a login saved at `savedAt` is younger than `maxAgeMs`; one dated ahead of the clock (set back since) is not. */
export function savedWithin(savedAt: number, nowMs: number, maxAgeMs: number): boolean {
  const ageMs = nowMs - savedAt;
  return ageMs >= 0 && ageMs < maxAgeMs;
}

/** `authenticate` (or a step of it): the saved login when one still serves, else a fresh one. */
export async function restoredOr<T>(signal: AbortSignal, restore: () => Promise<T | undefined>, login: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (signal.aborted) throw signal.reason;
  return (await restore()) ?? login(signal);
}

export interface RetryOnce<A, S> {
  establish(auth: A, signal: AbortSignal): Promise<S>;
  forget(auth: A): Promise<void>;
  login(signal: AbortSignal): Promise<A>;
}

/**
 * `authorize` for a login that may have been revoked since it was saved: when `establish` finds it
 * expired, it is forgotten, and a restored one gets one fresh login (still "once per session");
 * a fresh one that fails so fails as it is.
 */
export function retryOnceFresh<A extends { restored?: unknown }, S>(parts: RetryOnce<A, S>): (auth: A, signal: AbortSignal) => Promise<S> {
  return async (auth, signal) => {
    try {
      return await parts.establish(auth, signal);
    } catch (error) {
      if (!(error instanceof SessionExpiredError)) throw error;
      await parts.forget(auth);
      if (!auth.restored) throw error;
      return parts.establish(await parts.login(signal), signal);
    }
  };
}

/** Runs a data call; a SessionExpiredError drops the saved session first, so the machines' new login does not restore it. */
export async function forgetOnExpiry<T>(forget: () => Promise<void>, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SessionExpiredError) await forget();
    throw error;
  }
}

import type { z } from 'zod';
import { errorCode, RateLimitError, SessionExpiredError } from './errors.js';
import { loginGuard, type LoginGuardOptions } from './login-guard.js';
import { readRecord } from './state-record.js';

/**
 * A vendor login kept in the bridge's state store, so a restart does not log in again: restore it
 * while it still serves, save a fresh one, forget one the vendor stopped honouring. Around it the
 * login guard: no login while a lockout runs or with credentials the vendor refused.
 */

export interface SavedSessionOptions<R> extends Omit<LoginGuardOptions, 'keys'> {
  /** The state-store keys; users' saved state is read under them, so they never change. */
  keys: { session: string; lockout: string; refused: string };
  schema: z.ZodType<R>;
  /** The driver's codes for "the vendor refused these credentials": not tried again until they change. */
  refusedCodes: readonly string[];
  /** Whether a refusal also drops the saved session. */
  refusalDropsSession: boolean;
  /** The driver's codes for "the vendor locked the account", with how long no login is tried. */
  lockedCodes?: Readonly<Record<string, number>>;
}

export interface SavedSession<R> {
  /** Throws the driver's coded error when no login may be tried now. */
  check(): Promise<void>;
  /** Saving is best effort: a full disk must not hide the vendor's answer from the user. */
  persist(action: () => Promise<void>, what: string): Promise<void>;
  /** The saved record, when `fits` says it still serves this configuration; an unreadable one counts as absent. */
  restore(fits: (record: R) => boolean): Promise<R | undefined>;
  /** After a login: saves it, and clears the lockout and refusal it proves over. */
  remember(record: R): Promise<void>;
  /** Drops the saved record when `isThis` says it is the one that stopped working. */
  forget(isThis: (record: R) => boolean): Promise<void>;
  /** Remembers what a refused or throttled login means for the next one (this run or the next), then throws `error` on. */
  failed: (error: unknown) => Promise<never>;
}

export function savedSession<R>(options: SavedSessionOptions<R>): SavedSession<R> {
  const { state, keys, schema } = options;
  const guard = loginGuard(options);
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
      const code = errorCode(error);
      const lockMs = code !== undefined && options.lockedCodes && Object.hasOwn(options.lockedCodes, code) ? options.lockedCodes[code] : undefined;
      if (error instanceof RateLimitError) await guard.lockUntil(options.now() + error.retryAfterMs, error.message);
      else if (lockMs !== undefined) await guard.lockUntil(options.now() + lockMs, (error as Error).message);
      else if (code !== undefined && options.refusedCodes.includes(code)) await guard.refuse(options.refusalDropsSession ? drop : undefined);
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

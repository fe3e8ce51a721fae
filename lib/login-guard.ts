import { fingerprint, matchesFingerprint, refusedSchema, type CredentialParts } from './credential-fingerprint.js';
import type { Logger } from './logger.js';
import { lockoutSchema, readRecord } from './state-record.js';
import type { StateStore } from './state-store.js';

/**
 * What keeps a vendor account from being locked by us: before a login, refuse while a lockout
 * or throttle runs, and refuse credentials the vendor refused before (until the configuration
 * changes); after a failed login, remember either. Kept in the bridge's state store, so a
 * restart or a crash loop knocks no more than a running bridge does.
 */
export interface LoginGuardOptions {
  state: StateStore;
  now: () => number;
  log: Logger;
  /** `Dexcom Share`, `LibreLink Up`: names the vendor in the warning when the state cannot be saved. */
  vendor: string;
  keys: { lockout: string; refused: string };
  credentials: () => CredentialParts;
  /** The driver's coded errors for "still waiting" and "refused before". */
  waiting: (waitMs: number, reason: string, cause: Error) => Error;
  refusedBefore: (cause: Error) => Error;
}

export interface LoginGuard {
  /** Throws the driver's coded error when no login may be tried now. */
  check(): Promise<void>;
  /** No login before `notBeforeMs`; `reason` is shown to the user meanwhile. */
  lockUntil(notBeforeMs: number, reason: string): Promise<void>;
  /** The vendor refused these credentials: do not try them again (`andThen` in the same best-effort save). */
  refuse(andThen?: () => Promise<void>): Promise<void>;
  /** Saving is best effort: a full disk must not hide the vendor's answer from the user. */
  persist(action: () => Promise<void>, what: string): Promise<void>;
}

export function loginGuard(options: LoginGuardOptions): LoginGuard {
  const { state, keys } = options;
  async function persist(action: () => Promise<void>, what: string): Promise<void> {
    try {
      await action();
    } catch (error) {
      options.log.warn({ err: error }, `could not persist the ${options.vendor} ${what}`);
    }
  }
  return {
    persist,
    async check() {
      const lockout = await readRecord(state, keys.lockout, lockoutSchema);
      const waitMs = lockout ? lockout.notBefore - options.now() : 0;
      if (lockout && waitMs > 0) {
        throw options.waiting(waitMs, lockout.reason, new Error(`${keys.lockout}: not before ${new Date(lockout.notBefore).toISOString()}`));
      }
      const refused = await readRecord(state, keys.refused, refusedSchema);
      if (refused && (await matchesFingerprint(refused, options.credentials()))) {
        throw options.refusedBefore(new Error(`${keys.refused}: refused at ${new Date(refused.at).toISOString()}`));
      }
    },
    lockUntil(notBeforeMs, reason) {
      return persist(() => state.write(keys.lockout, { notBefore: notBeforeMs, reason }), 'lockout');
    },
    async refuse(andThen) {
      const record = { refused: true, ...(await fingerprint(options.credentials())), at: options.now() };
      await persist(async () => {
        await state.write(keys.refused, record);
        await andThen?.();
      }, 'refused credentials');
    },
  };
}

import { z } from 'zod';
import { errorCode, type GlucoHubError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { readRecord } from '../../lib/state-record.js';
import type { StateStore } from '../../lib/state-store.js';
import { responseCause } from '../../lib/wire.js';
import type { SessionFunctions, SourceLoop } from '../../lib/contracts/source.js';
import type { WireResponse } from './client.js';
import { lluError } from './errors.js';
import { STATE_KEYS } from './persisted.js';
import { outdatedVersionSchema } from './wire.js';

/**
 * The server's "this app version is too old" (HTTP 403, status 920, `minimumVersion`): asking again
 * with the same `version` header changes nothing until a person sets a newer one, so gluco-hub asks
 * at most once an hour, and remembers that across restarts (a crash loop must not knock each time).
 * The wait is tied to the version sent: after the person changes it, the next start asks at once.
 */

const MINUTE_MS = 60_000;
export const OUTDATED_WAIT_MS = 60 * MINUTE_MS;
/** Spread over a few minutes, so bridges that met the change together do not come back together. */
const OUTDATED_JITTER_MS = 5 * MINUTE_MS;

const CODE = 'LLU028';

const outdatedRecordSchema = z.object({
  /** The `version` header the server refused. */
  version: z.string(),
  minimumVersion: z.string(),
  /** Epoch ms before which this version is not sent again. */
  notBefore: z.number(),
});
type OutdatedRecord = z.infer<typeof outdatedRecordSchema>;

/** What the error stands for, kept beside it rather than parsed back out of its text. */
const facts = new WeakMap<GlucoHubError, Omit<OutdatedRecord, 'notBefore'>>();

function outdatedError(record: OutdatedRecord, waitMs: number, cause: Error): GlucoHubError {
  const error = lluError(CODE, {
    params: { minimum: record.minimumVersion, version: record.version, minutes: Math.ceil(waitMs / MINUTE_MS) },
    retryAfterMs: waitMs,
    cause,
  });
  facts.set(error, { version: record.version, minimumVersion: record.minimumVersion });
  return error;
}

/** RateLimitError LLU028 when `response` is the status-920 answer, whatever its HTTP status; else `undefined`. */
export function outdatedVersion(response: WireResponse, sent: string, rand: () => number): GlucoHubError | undefined {
  const parsed = outdatedVersionSchema.safeParse(response.json);
  if (!parsed.success) return undefined;
  const waitMs = Math.round(OUTDATED_WAIT_MS + rand() * OUTDATED_JITTER_MS);
  return outdatedError({ version: sent, minimumVersion: parsed.data.data.minimumVersion, notBefore: 0 }, waitMs, responseCause(response));
}

export interface OutdatedVersionGuardOptions {
  state: StateStore;
  now: () => number;
  log: Logger;
  /** The configured `version` header. */
  version: string;
}

export interface OutdatedVersionGuard {
  /** Throws LLU028 (no request) while an earlier refusal of this same version is less than its wait old. */
  check(): Promise<void>;
  /** Remembers an LLU028 (any other error is ignored); saving is best effort. */
  note(error: unknown): Promise<void>;
}

export function outdatedVersionGuard(options: OutdatedVersionGuardOptions): OutdatedVersionGuard {
  const { state } = options;
  return {
    async check() {
      const record = await readRecord(state, STATE_KEYS.outdatedVersion, outdatedRecordSchema);
      if (!record || record.version !== options.version) return;
      const waitMs = record.notBefore - options.now();
      if (waitMs <= 0) return;
      throw outdatedError(record, waitMs, new Error(`${STATE_KEYS.outdatedVersion}: not before ${new Date(record.notBefore).toISOString()}`));
    },
    async note(error) {
      if (errorCode(error) !== CODE) return;
      const known = facts.get(error as GlucoHubError);
      if (!known) return;
      const record: OutdatedRecord = { ...known, notBefore: options.now() + (error as { retryAfterMs: number }).retryAfterMs };
      try {
        await state.write(STATE_KEYS.outdatedVersion, record);
      } catch (failure) {
        options.log.warn({ err: failure }, 'could not persist the LibreLink Up outdated-version wait');
      }
    },
  };
}

/** Notes an LLU028 from `work`, then lets the error go on unchanged. */
async function watched<T>(guard: OutdatedVersionGuard, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    await guard.note(error);
    throw error;
  }
}

/**
 * The session with the guard around it: no login and no restored ticket used while the wait runs,
 * and every LLU028 — from the login, `connections` or a graph call — remembered.
 */
export function guardSession<A, S>(session: SessionFunctions<A, S>, guard: OutdatedVersionGuard): SessionFunctions<A, S> {
  return {
    ...session,
    async authenticate(signal) {
      await guard.check();
      return watched(guard, session.authenticate(signal));
    },
    authorize: (auth, signal) => watched(guard, session.authorize(auth, signal)),
  };
}

export function guardLoop<S>(loop: SourceLoop<S>, guard: OutdatedVersionGuard): SourceLoop<S> {
  return { ...loop, fetch: (session, window, signal) => watched(guard, loop.fetch(session, window, signal)) };
}

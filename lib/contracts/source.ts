import type { Batch, Collection } from '../domain.js';
import type { Logger } from '../logger.js';
import type { RequestGate } from '../request-budget.js';
import type { StateStore } from '../state-store.js';
import type { BackoffPolicy } from '../time.js';

/**
 * The source-driver contract. A driver is data plus a few
 * pure or promise-returning functions; it never touches XState. The machines run any driver.
 */

/** What a frame asks a loop for: documents with `fromMs < date <= toMs`. */
export interface FetchWindow {
  fromMs: number;
  toMs: number;
}

export interface SessionFunctions<Auth = unknown, Session = unknown> {
  /** Logs in with the credentials the driver was built with. */
  authenticate(signal: AbortSignal): Promise<Auth>;
  /** Turns a login into a session the data calls can use (pick patient, exchange token, …). */
  authorize(auth: Auth, signal: AbortSignal): Promise<Session>;
  /** Renews a session without a full login; absent when the vendor has no refresh. */
  refresh?(session: Session, auth: Auth, signal: AbortSignal): Promise<Session>;
  /** Refresh this long after the session was established (only with `refresh`). */
  refreshAfterMs?: number;
  /** Treat the session as expired this long after it was established; absent = until a 401. */
  expireAfterMs?: number;
}

/** One kind of data a source offers, fetched on its own cadence. */
export interface SourceLoop<Session = unknown> {
  /** Unique within the driver: `entries`, `treatments`, `devicestatus`, or a vendor name. */
  name: string;
  /** The collections this loop produces; gap analysis asks the outputs about these. */
  collections: readonly Collection[];
  /** How often the vendor has a new reading; the next frame is aligned to it. */
  expectedIntervalMs: number;
  /** How long after a reading's time the vendor reliably has it. */
  lagMs: number;
  /** How far back the vendor can return data; bounds gap back-fill. */
  historyMs: number;
  /** Never start the next frame sooner than this after a successful one (a vendor's polite floor). */
  minIntervalMs?: number;
  /** Retries within one frame before the frame fails. */
  maxRetries: number;
  /**
   * The longest one `fetch` may take, every request and page of it together; past it the fetch is
   * aborted and the attempt fails with HUB007 (retried). Default 5 min (machines/frame.ts).
   */
  fetchDeadlineMs?: number;
  /** Backoff between attempts; defaults apply when absent. */
  backoff?: BackoffPolicy;
  /** HTTP only: returns the vendor's raw answer. */
  fetch(session: Session, window: FetchWindow, signal: AbortSignal): Promise<unknown>;
  /** Pure: vendor answer → Nightscout documents with sync identities. Throws TransformError. */
  transform(raw: unknown, window: FetchWindow): Batch;
}

export interface SourceDriver<Auth = unknown, Session = unknown> {
  kind: string;
  /** The `device` stamped on every document; part of the sync identity, so it stays stable. */
  device: string;
  /** Where the driver sends requests; overridable by config for tests and self-hosters. */
  baseUrl?: string;
  /**
   * How far behind the newest stored document a new one may still arrive (a vendor fed by devices
   * that upload days late). The outputs' routers accept documents this far back; default 24 h.
   */
  lateArrivalMs?: number;
  session: SessionFunctions<Auth, Session>;
  loops: readonly SourceLoop<Session>[];
}

/** What every driver factory receives besides its own settings. */
export interface DriverContext {
  /** Wall clock in epoch ms; injected so tests control time. */
  now(): number;
  /** The bridge's logger; secrets must go in as `Secret` values, never as strings. */
  log: Logger;
  /** This bridge's persisted state (sessions, lockouts), surviving restarts. */
  state: StateStore;
  /** The fleet's shared per-host request budget, seen as this bridge; absent = no limit (tests, capture). */
  requests?: RequestGate | undefined;
  /**
   * Another gluco-hub process owns this state folder (`capture` while `forever` runs): `state`
   * writes nothing, and a driver never rotates a saved login (CareLink's refresh token).
   */
  sharedState?: boolean | undefined;
}

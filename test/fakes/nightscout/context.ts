import type { NsAuth, VersionMode } from './auth.js';
import type { CollectionName, Store } from './store.js';

/** What every route handler gets: storage, auth, the clock, the server mode and the counters. */

export interface FakeNightscoutCounters {
  requests: number;
  /** `GET /api/v2/authorization/request/…`, answered or not. */
  jwtRequests: number;
  jwtIssued: number;
  /** Failed credential resolutions (wrong secret/token, bad or expired JWT). */
  authFailures: number;
  /** v3 403 `Missing permission …`. */
  forbidden: number;
  /** Requests answered by `failNext` or dropped by `dropNext`. */
  faults: number;
  /** New documents stored, per collection (v1 and v3). */
  created: Record<CollectionName, number>;
  /** Writes that hit an existing document: v3 dedup (200) and v1 upserts that matched. */
  deduplicated: Record<CollectionName, number>;
}

export interface ServerMode {
  version: VersionMode;
  v3: boolean;
}

export interface NsContext {
  store: Store;
  auth: NsAuth;
  now(): number;
  mode: ServerMode;
  counters: FakeNightscoutCounters;
}

export const SERVER_VERSION: Record<VersionMode, string> = { '15': '15.0.7', '14.2': '14.2.6' };
export const API3_VERSION = '3.0.3-alpha';
export const API3_MAX_LIMIT = 1000;

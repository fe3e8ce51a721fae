import type { Direction } from '../../../lib/domain.js';
import type { BridgeEvent, FrameOutcome } from '../../../lib/contracts/bridge-events.js';

/**
 * What the HTTP actor shows, built from the bridges' events: recent readings (a 24 h cache) and
 * the health of every source, loop and output. Implemented in `model.ts`; rendered by
 * `outputs/http/` (JSON endpoints and the status page) and counted by `../metrics/`.
 */

export interface Reading {
  /** Epoch ms of the reading. */
  date: number;
  /** mg/dL. */
  sgv: number;
  direction?: Direction | undefined;
  trend?: number | undefined;
  device: string;
  /** The bridge that fetched it. */
  bridge: string;
  /** Its source kind (`linkup`, `simulator`, …). */
  source: string;
}

export interface LoopHealth {
  name: string;
  lastOutcome?: FrameOutcome | undefined;
  /** Epoch ms of the last successful frame. */
  lastSuccessMs?: number | undefined;
  /** Code + message of the last failure, never a secret. */
  lastError?: string | undefined;
}

/** `catching up`: the output takes a backlog at its pace; `queueing`: it takes nothing now, documents wait. */
export type OutputState = 'unknown' | 'ok' | 'catching up' | 'queueing' | 'failing';

export interface OutputHealth {
  name: string;
  state: OutputState;
  /** Epoch ms of the last confirmed write. */
  lastStoredMs?: number | undefined;
  /** Documents in its dead-letter queue. */
  waiting: number;
  lastError?: string | undefined;
}

export type SessionState = 'none' | 'established' | 'failed' | 'expired';

export interface BridgeHealth {
  id: string;
  source: string;
  session: SessionState;
  sessionError?: string | undefined;
  loops: LoopHealth[];
  outputs: OutputHealth[];
  /** A session and a recent successful cycle (within about two expected intervals). */
  ready: boolean;
}

export interface StatusSnapshot {
  version: string;
  startedMs: number;
  nowMs: number;
  bridges: BridgeHealth[];
  ready: boolean;
}

export interface BridgeInfo {
  id: string;
  source: string;
  outputs: string[];
  /** Loops and their expected interval, to judge "recent". */
  loops: { name: string; expectedIntervalMs: number }[];
}

export interface StatusModel {
  /** Feed every bridge event (the hub's `observe`). */
  observe(event: BridgeEvent): void;
  /** Readings saved by an earlier run (the recent-readings ring), so the cache starts warm. */
  restore(readings: readonly Reading[]): void;
  snapshot(): StatusSnapshot;
  /** Newest first; at most 24 h are kept. `bridge`: only that bridge's (one person's, when an account follows several). */
  readings(options?: { count?: number; sinceMs?: number; bridge?: string }): Reading[];
  latest(bridge?: string): Reading | undefined;
  /** A bridge started after the model was built (following several people). */
  add?(info: BridgeInfo): void;
  /** A bridge retired at run time: its row and cached readings go. */
  remove?(id: string): void;
}

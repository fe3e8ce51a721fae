import { createHash } from 'node:crypto';
import type { BridgeConfig, Config, SourceSettings } from '../config/schema.js';
import type { GateOptions } from '../request-budget.js';

/**
 * What the fleet-wide budgets are keyed by, decided from the config alone. Nothing here names a
 * person: a login is a hash, and Redis keys hold no usernames.
 */

/** What a fleet-wide budget counts: a vendor host × egress address, a bridge, or a login. */
export type BudgetKind = 'host' | 'bridge' | 'login';

/** A fixed window: at most `points` requests per `seconds`, all processes together. */
export interface BudgetLimit {
  points: number;
  seconds: number;
}

/**
 * The per-host rate as a window rate-limiter-flexible can count (whole requests, whole seconds):
 * one second at 1/s and above, else the shortest window that holds one request. Rounded down, so
 * the fleet never exceeds the configured rate (2.5/s counts as 2/s).
 */
export function hostWindow(requestsPerSecond: number): BudgetLimit {
  if (requestsPerSecond >= 1) return { points: Math.floor(requestsPerSecond), seconds: 1 };
  const seconds = Math.ceil(1 / requestsPerSecond);
  return { points: Math.max(1, Math.floor(requestsPerSecond * seconds)), seconds };
}

/** The username a source logs in with; none for sources without a vendor login. */
function username(source: SourceSettings): string | undefined {
  switch (source.kind) {
    case 'linkup':
      return source.username;
    case 'dexcomshare':
      return source.accountName;
    case 'glooko':
      return source.email;
    case 'minimedcarelink':
      return source.username;
    default:
      return undefined;
  }
}

/**
 * A stable key of a vendor login: bridges of one source kind with one username (case aside) share
 * it. A hash, so the budget's Redis key does not carry an e-mail address.
 */
export function loginKey(source: SourceSettings): string | undefined {
  const name = username(source);
  if (name === undefined) return undefined;
  const digest = createHash('sha256').update(`${source.kind}\0${name.trim().toLowerCase()}`).digest('hex');
  return `${source.kind}-${digest.slice(0, 20)}`;
}

/** How a bridge meets the budget: its egress address (its own, else the process's) and its login. */
export function gateOptions(config: Pick<Config, 'fleet'>, bridge: Pick<BridgeConfig, 'source' | 'localAddress'>): GateOptions {
  return { localAddress: bridge.localAddress ?? config.fleet.localAddress, login: loginKey(bridge.source) };
}

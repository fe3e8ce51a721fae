import type { BridgeEvent } from '../../../lib/contracts/bridge-events.js';
import type { FleetEvent } from '../../../lib/contracts/fleet-events.js';
import type { BridgeInfo } from '../cache/types.js';

/** Prometheus metrics (prefix `gluco_hub_`), fed by the bridges' events; served at `/metrics`. */
export interface Metrics {
  observe(event: BridgeEvent): void;
  /** The exposition format's content type. */
  readonly contentType: string;
  render(): Promise<string>;
  /** A bridge started after the metrics were built: its source label is known from now on. */
  addBridge?(info: BridgeInfo): void;
  /** What the lease supervisor did (a fleet's process, `fleet: true`); ignored otherwise. */
  observeFleet?(event: FleetEvent): void;
}

export interface MetricsOptions {
  bridges: BridgeInfo[];
  now: () => number;
  version: string;
  /** `GIT_SHA` / `SOURCE_COMMIT` at build or run time, else `unknown`. */
  gitSha: string;
  /**
   * Add the glucose gauges (newest value, trend, its time, sensor end). Health data: the HTTP actor
   * turns them on only where `/metrics` is no more open than `/glucose` (no token, or metrics auth).
   */
  glucose?: boolean | undefined;
  /** A fleet's process (state in Redis): add the lease gauges and counters (`gluco_hub_fleet_…`). */
  fleet?: boolean | undefined;
}

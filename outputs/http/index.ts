import type { BridgeEvent } from '../../lib/contracts/bridge-events.js';
import type { FleetEvent } from '../../lib/contracts/fleet-events.js';
import type { HttpConfig } from '../../lib/config/schema.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics, MetricsOptions } from './metrics/types.js';
import { createStatusModel } from './cache/model.js';
import type { BridgeInfo, Reading, StatusModel } from './cache/types.js';
import { HTTP_OPEN_BIND_WARNING } from './errors.js';
import { createHttpServer, type HttpServer, type HttpTimeouts } from './server.js';
import { isLoopback, type PageInput, type Units } from './routes.js';

export interface HttpActorOptions {
  config: HttpConfig;
  log: Logger;
  now: () => number;
  version: string;
  gitSha: string;
  renderPage: (input: PageInput) => string | Promise<string>;
  /** Builds the Prometheus metrics once the bridges are known; absent: `/metrics` answers 404. */
  createMetrics?: ((options: MetricsOptions) => Metrics) | undefined;
  units?: Units;
  /** A fleet's process: whether it runs a bridge now (readiness counts only those). */
  runsHere?: (bridgeId: string) => boolean;
  /** A fleet's process: `/metrics` has the lease metrics, fed by `observeFleet`. */
  fleet?: boolean;
  /** Tests shorten them. */
  timeouts?: HttpTimeouts;
}

/**
 * The HTTP actor as the composition root sees it: `start` binds the port first (so a port clash
 * stops start-up before any bridge calls a vendor), `build` when the hub has built its bridges
 * (before any event) with the readings a previous run saved, `observe` for every bridge event,
 * `stop` last. Until `build`, `/readyz` answers not ready and the page shows no bridges.
 */
export interface HttpActor {
  build: (bridges: BridgeInfo[], restored?: readonly Reading[]) => void;
  /** A bridge started after `build` (a person a follower account began to follow), with the readings its last run saved. */
  add: (bridge: BridgeInfo, restored?: readonly Reading[]) => void;
  /** A bridge retired at run time: its status row goes, its metrics stay until the process ends. */
  remove: (bridgeId: string) => void;
  /** Readings saved by an earlier run of bridges already built (a fleet bridge starting here). */
  restore: (restored: readonly Reading[]) => void;
  observe: (event: BridgeEvent) => void;
  /** The lease supervisor's events, for the metrics (a fleet's process). */
  observeFleet: (event: FleetEvent) => void;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** `http://host:port`, after `start`. */
  url(): string;
}

export function createHttpActor(options: HttpActorOptions): HttpActor {
  let model: StatusModel = createStatusModel([], { now: options.now, version: options.version });
  let metrics: Metrics | undefined;
  let server: HttpServer | undefined;

  return {
    build: (bridges, restored = []) => {
      model = createStatusModel(bridges, { now: options.now, version: options.version, runsHere: options.runsHere });
      model.restore(restored);
      // Glucose in /metrics only where /glucose is open to the same caller: a public /metrics next to a
      // token-protected /glucose would hand the readings round the token.
      const glucose = options.config.bearerToken === undefined || options.config.metricsAuth;
      metrics = options.createMetrics?.({ bridges, now: options.now, version: options.version, gitSha: options.gitSha, glucose, fleet: options.fleet });
    },
    add: (bridge, restored = []) => {
      model.add?.(bridge);
      model.restore(restored);
      metrics?.addBridge?.(bridge);
    },
    remove: (bridgeId) => model.remove?.(bridgeId),
    restore: (restored) => model.restore(restored),
    observe: (event) => {
      model.observe(event);
      metrics?.observe(event);
    },
    observeFleet: (event) => metrics?.observeFleet?.(event),
    async start() {
      const s = createHttpServer({
        bind: options.config.bind,
        model: () => model,
        metrics: () => metrics,
        renderPage: options.renderPage,
        bearerToken: options.config.bearerToken,
        metricsAuth: options.config.metricsAuth,
        now: options.now,
        log: options.log,
        ...(options.units ? { units: options.units } : {}),
        ...(options.timeouts ? { timeouts: options.timeouts } : {}),
      });
      await s.start();
      server = s;
      const { host, url } = s.address();
      if (!options.config.bearerToken && !isLoopback(host)) {
        options.log.warn({ code: HTTP_OPEN_BIND_WARNING.code, bind: options.config.bind }, HTTP_OPEN_BIND_WARNING.message(url));
      }
    },
    async stop() {
      await server?.stop();
    },
    url() {
      if (!server) throw new Error('the HTTP API has not started');
      return server.address().url;
    },
  };
}

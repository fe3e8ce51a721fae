import type { BridgeEvent } from '../../machines/contract.js';
import type { HttpConfig } from '../../lib/config/schema.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics, MetricsOptions } from '../../lib/metrics/types.js';
import { createStatusModel } from '../../lib/status/model.js';
import type { BridgeInfo, StatusModel } from '../../lib/status/types.js';
import { createHttpServer, type HttpServer } from './server.js';
import type { PageInput, Units } from './routes.js';

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
}

/**
 * The HTTP actor as the composition root sees it: `build` when the hub has built its bridges
 * (before any event), `observe` for every bridge event, then `start` / `stop`.
 */
export interface HttpActor {
  build: (bridges: BridgeInfo[]) => void;
  observe: (event: BridgeEvent) => void;
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
    build: (bridges) => {
      model = createStatusModel(bridges, { now: options.now, version: options.version });
      metrics = options.createMetrics?.({ bridges, now: options.now, version: options.version, gitSha: options.gitSha });
    },
    observe: (event) => {
      model.observe(event);
      metrics?.observe(event);
    },
    async start() {
      server = createHttpServer({
        bind: options.config.bind,
        model,
        metrics,
        renderPage: options.renderPage,
        bearerToken: options.config.bearerToken,
        now: options.now,
        log: options.log,
        ...(options.units ? { units: options.units } : {}),
      });
      await server.start();
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

import { afterEach } from 'vitest';
import { createLogger } from '../../lib/logger.js';
import type { Metrics } from '../../outputs/http/metrics/types.js';
import { Secret } from '../../lib/secret.js';
import { createStatusModel } from '../../outputs/http/cache/model.js';
import type { BridgeInfo } from '../../outputs/http/cache/types.js';
import type { PageInput } from '../../outputs/http/routes.js';
import { createHttpServer, type HttpServer, type HttpTimeouts } from '../../outputs/http/server.js';
import { SIM_BRIDGE } from '../fakes/bridge-events.js';

import { call } from '../fakes/http-call.js';

export { call };

export const T0 = Date.UTC(2025, 0, 1, 12);

const running: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

export interface ApiOptions {
  token?: string;
  metrics?: Metrics;
  renderPage?: (input: PageInput) => string;
  bridges?: BridgeInfo[];
  bind?: string;
  timeouts?: HttpTimeouts;
  metricsAuth?: boolean;
}

/** A real server on a free port, with a status model on a hand-driven clock. */
export async function startApi(options: ApiOptions = {}) {
  const clock = { now: T0 };
  const now = (): number => clock.now;
  const model = createStatusModel(options.bridges ?? [SIM_BRIDGE], { now, version: '9.9.9' });
  const pages: PageInput[] = [];
  const server = createHttpServer({
    bind: options.bind ?? '127.0.0.1:0',
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    model: () => model,
    metrics: () => options.metrics,
    renderPage:
      options.renderPage ??
      ((input) => {
        pages.push(input);
        return `<p>page with ${input.readings.length} readings</p>`;
      }),
    bearerToken: options.token === undefined ? undefined : new Secret(options.token),
    metricsAuth: options.metricsAuth,
    now,
    log: createLogger({ level: 'silent', format: 'json' }),
  });
  await server.start();
  running.push(server);
  const base = server.address().url;
  return { base, model, clock, pages, server, get: (path: string, headers?: Record<string, string>) => call(`${base}${path}`, headers ? { headers } : {}) };
}

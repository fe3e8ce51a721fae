import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../lib/metrics/types.js';
import type { Secret } from '../../lib/secret.js';
import type { Reading, StatusModel, StatusSnapshot } from '../../lib/status/types.js';
import { hasBearer } from './auth.js';
import { HTTP_RESPONSE_ERRORS, type HttpResponseCode } from './errors.js';
import { glucoseJson } from './glucose.js';
import { AGE_SCRIPT_CSP } from './page-script.js';

export type Units = 'mg/dL' | 'mmol/L';

/** What the status page is drawn from (`outputs/http/page.ts` `renderStatusPage`). */
export interface PageInput {
  snapshot: StatusSnapshot;
  readings: Reading[];
  units: Units;
}

export interface RouteDeps {
  model: StatusModel;
  /** Absent: `/metrics` answers 404. */
  metrics?: Metrics | undefined;
  /** Renders `/`; may load the renderer lazily. */
  renderPage: (input: PageInput) => string | Promise<string>;
  /** When set, `/` and `/glucose*` need `Authorization: Bearer <token>`. */
  bearerToken?: Secret | undefined;
  units?: Units;
  now: () => number;
  log: Logger;
}

/** `/glucose` answers this many readings when no `count` is given, and at most `MAX_COUNT`. */
export const DEFAULT_COUNT = 10;
export const MAX_COUNT = 10_000;

interface Reply {
  status: number;
  body: string;
  type: string;
  headers?: Record<string, string>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function json(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return { status, body: `${JSON.stringify(value)}\n`, type: JSON_TYPE, ...(headers ? { headers } : {}) };
}

function refuse(code: HttpResponseCode, detail?: string, headers?: Record<string, string>): Reply {
  const { status, message } = HTTP_RESPONSE_ERRORS[code];
  return json(status, { code, message: detail ? `${message}: ${detail}` : message }, headers);
}

type Query = { count?: number; sinceMs?: number } | { error: string };

const DIGITS = /^\d{1,16}$/;

/** `count` (1…MAX_COUNT) and `since` (epoch ms or an ISO 8601 time); anything else is a 400. */
export function parseGlucoseQuery(params: URLSearchParams): Query {
  const out: { count?: number; sinceMs?: number } = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    if (values.length > 1) return { error: `${key} is given more than once` };
    const value = values[0] ?? '';
    if (key === 'count') {
      const n = DIGITS.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n) || n < 1 || n > MAX_COUNT) return { error: `count must be a whole number from 1 to ${MAX_COUNT}, not "${value.slice(0, 40)}"` };
      out.count = n;
    } else if (key === 'since') {
      const ms = DIGITS.test(value) ? Number(value) : /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
      if (!Number.isFinite(ms)) return { error: `since must be epoch milliseconds or an ISO 8601 time, not "${value.slice(0, 40)}"` };
      out.sinceMs = ms;
    } else {
      return { error: `unknown parameter "${key.slice(0, 40)}" (count and since are known)` };
    }
  }
  if (out.count === undefined && out.sinceMs === undefined) out.count = DEFAULT_COUNT;
  return out;
}

interface Route {
  /** Needs the bearer token when one is configured. */
  private: boolean;
  handle: (url: URL, deps: RouteDeps) => Reply | Promise<Reply>;
}

/** Every endpoint, as data: path → whether it is private and how it answers. */
const ROUTES: Record<string, Route> = {
  '/healthz': { private: false, handle: () => json(200, { status: 'ok' }) },
  '/readyz': {
    private: false,
    handle: (_url, { model }) => {
      const snapshot = model.snapshot();
      if (snapshot.ready) return json(200, { status: 'ready', ...snapshot });
      return json(503, { code: 'HTTP008', message: HTTP_RESPONSE_ERRORS.HTTP008.message, status: 'not ready', ...snapshot });
    },
  },
  '/glucose/latest': {
    private: true,
    handle: (_url, { model, now }) => {
      const latest = model.latest();
      return latest ? json(200, glucoseJson(latest, now())) : refuse('HTTP003');
    },
  },
  '/glucose': {
    private: true,
    handle: (url, { model, now }) => {
      const query = parseGlucoseQuery(url.searchParams);
      if ('error' in query) return refuse('HTTP004', query.error);
      const nowMs = now();
      return json(200, model.readings(query).map((r) => glucoseJson(r, nowMs)));
    },
  },
  '/metrics': {
    private: false,
    handle: async (_url, { metrics }) => (metrics ? { status: 200, body: await metrics.render(), type: metrics.contentType } : refuse('HTTP006')),
  },
  '/': {
    private: true,
    handle: async (_url, { model, renderPage, units }) => {
      const snapshot = model.snapshot();
      const body = await renderPage({ snapshot, readings: model.readings(), units: units ?? 'mg/dL' });
      return {
        status: 200,
        body,
        type: 'text/html; charset=utf-8',
        // The page is self-contained (inline CSS and SVG); it loads and runs nothing else.
        headers: { 'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; script-src ${AGE_SCRIPT_CSP}; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'` },
      };
    },
  },
};

const ALLOW = 'GET, HEAD';

async function answer(req: IncomingMessage, deps: RouteDeps): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (!route) return refuse('HTTP006');
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse('HTTP007', `${path} answers ${ALLOW}`, { Allow: ALLOW });
  if (route.private && deps.bearerToken && !hasBearer(req.headers, deps.bearerToken)) {
    return refuse('HTTP005', undefined, { 'WWW-Authenticate': 'Bearer realm="gluco-hub"' });
  }
  try {
    return await route.handle(url, deps);
  } catch (err) {
    deps.log.error({ err, path }, `HTTP ${path} failed`);
    return refuse('HTTP009');
  }
}

/** The request handler: routing, auth and JSON errors. Never throws. */
export function createHandler(deps: RouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void answer(req, deps).then((reply) => {
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(reply.status, {
        'Content-Type': reply.type,
        'Content-Length': Buffer.byteLength(reply.body),
        // Glucose goes stale in minutes: never serve it from a cache.
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        ...reply.headers,
      });
      res.end(req.method === 'HEAD' ? undefined : reply.body);
    });
  };
}

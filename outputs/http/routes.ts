import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from './metrics/types.js';
import type { Secret } from '../../lib/secret.js';
import { APP_NAME } from '../../lib/version.js';
import type { Reading, StatusModel, StatusSnapshot } from './cache/types.js';
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
  /**
   * The status model, read on every request: the port is bound before the hub builds its bridges,
   * and the model is rebuilt then (`outputs/http/index.ts`).
   */
  model: () => StatusModel;
  /** Absent or undefined: `/metrics` answers 404. */
  metrics?: (() => Metrics | undefined) | undefined;
  /** Renders `/`; may load the renderer lazily. */
  renderPage: (input: PageInput) => string | Promise<string>;
  /** When set, `/` and `/glucose*` need `Authorization: Bearer <token>`, and `/readyz` shows details only with it. */
  bearerToken?: Secret | undefined;
  /** `/metrics` needs the token too (`GLUCO_HUB__HTTP__METRICS_AUTH`). */
  metricsAuth?: boolean | undefined;
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

type Query = { count?: number; sinceMs?: number; bridge?: string } | { error: string };

const DIGITS = /^\d{1,16}$/;

/** `count` (1…MAX_COUNT), `since` (epoch ms or an ISO 8601 time) and `bridge` (a bridge id); anything else is a 400. */
export function parseGlucoseQuery(params: URLSearchParams): Query {
  const out: { count?: number; sinceMs?: number; bridge?: string } = {};
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
    } else if (key === 'bridge') {
      out.bridge = value;
    } else {
      return { error: `unknown parameter "${key.slice(0, 40)}" (count, since and bridge are known)` };
    }
  }
  if (out.count === undefined && out.sinceMs === undefined) out.count = DEFAULT_COUNT;
  return out;
}

/**
 * `bridge` must name a bridge this process serves: with several (an account following several
 * people) a typo would otherwise read as "no reading" for a person who has one.
 */
function unknownBridge(bridge: string | undefined, snapshot: StatusSnapshot): string | undefined {
  if (bridge === undefined || snapshot.bridges.some((b) => b.id === bridge)) return undefined;
  return `no bridge "${bridge.slice(0, 64)}" here; bridges: ${snapshot.bridges.map((b) => b.id).join(', ') || 'none yet'}`;
}

/** What a route may know about the request beyond its query. */
interface RequestInfo {
  params: URLSearchParams;
  /** `/readyz` may show each bridge's state and errors (which can name a followed patient). */
  details: boolean;
}

interface Route {
  /** Needs the bearer token when one is configured. */
  private: (deps: RouteDeps) => boolean;
  handle: (request: RequestInfo, deps: RouteDeps) => Reply | Promise<Reply>;
}

const always = (): boolean => true;
const never = (): boolean => false;

function readiness({ details }: RequestInfo, { model }: RouteDeps): Reply {
  const snapshot = model().snapshot();
  const status = snapshot.ready ? 'ready' : 'not ready';
  // Without the details only counts: errors can carry a followed patient's name or id.
  const body = details
    ? { status, ...snapshot }
    : { status, ready: snapshot.ready, bridgesReady: snapshot.bridges.filter((b) => b.ready).length, bridgesTotal: snapshot.bridges.length };
  if (snapshot.ready) return json(200, body);
  return json(503, { code: 'HTTP008', message: HTTP_RESPONSE_ERRORS.HTTP008.message, ...body });
}

/** Every endpoint, as data: path → whether it is private and how it answers. */
const ROUTES: Record<string, Route> = {
  '/healthz': { private: never, handle: () => json(200, { status: 'ok' }) },
  '/readyz': { private: never, handle: readiness },
  '/glucose/latest': {
    private: always,
    handle: ({ params }, { model, now }) => {
      // Only `bridge` is read here; other parameters (a cache-buster) are ignored, as they always were.
      const bridges = params.getAll('bridge');
      if (bridges.length > 1) return refuse('HTTP004', 'bridge is given more than once');
      const bridge = bridges[0];
      const unknown = unknownBridge(bridge, model().snapshot());
      if (unknown) return refuse('HTTP004', unknown);
      const latest = model().latest(bridge);
      return latest ? json(200, glucoseJson(latest, now())) : refuse('HTTP003');
    },
  },
  '/glucose': {
    private: always,
    handle: ({ params }, { model, now }) => {
      const query = parseGlucoseQuery(params);
      if ('error' in query) return refuse('HTTP004', query.error);
      const unknown = unknownBridge(query.bridge, model().snapshot());
      if (unknown) return refuse('HTTP004', unknown);
      const nowMs = now();
      return json(200, model().readings(query).map((r) => glucoseJson(r, nowMs)));
    },
  },
  '/metrics': {
    private: (deps) => deps.metricsAuth === true,
    handle: async (_request, deps) => {
      const metrics = deps.metrics?.();
      return metrics ? { status: 200, body: await metrics.render(), type: metrics.contentType } : refuse('HTTP006');
    },
  },
  '/': {
    private: always,
    handle: async (_request, { model, renderPage, units }) => {
      const current = model();
      const body = await renderPage({ snapshot: current.snapshot(), readings: current.readings(), units: units ?? 'mg/dL' });
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

/**
 * The path and query of a request target, read by hand: `new URL(target, base)` throws on
 * `//[` (and reads `//healthz` as a host named healthz). Origin form (`/path?query`) and absolute
 * form (`http://host/path`, which HTTP/1.1 servers must accept) are understood; anything else
 * (`*`, garbage) is undefined. Nothing is decoded, so `%` or `%zz` is just an unknown path.
 */
export function parseTarget(target: string): { path: string; params: URLSearchParams } | undefined {
  let rest = target;
  if (!rest.startsWith('/')) {
    const absolute = /^https?:\/\/[^/?#]*(.*)$/is.exec(rest);
    if (!absolute) return undefined;
    rest = absolute[1] ?? '';
  }
  const end = rest.search(/[?#]/);
  const rawPath = end === -1 ? rest : rest.slice(0, end);
  const query = end === -1 || rest[end] === '#' ? '' : (rest.slice(end + 1).split('#')[0] ?? '');
  const trimmed = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
  return { path: trimmed === '' ? '/' : trimmed, params: new URLSearchParams(query) };
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.replace(/^::ffff:/i, '');
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

async function answer(req: IncomingMessage, deps: RouteDeps): Promise<Reply> {
  const target = parseTarget(req.url ?? '/');
  if (!target) return refuse('HTTP010', 'the request target must be a path such as /glucose/latest');
  const { path, params } = target;
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (!route) return refuse('HTTP006');
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse('HTTP007', `${path} answers ${ALLOW}`, { Allow: ALLOW });
  const token = deps.bearerToken;
  const authorized = token === undefined || hasBearer(req.headers, token);
  if (route.private(deps) && !authorized) {
    return refuse('HTTP005', undefined, { 'WWW-Authenticate': `Bearer realm="${APP_NAME}"` });
  }
  // No token configured: details only to this machine, as before the token existed.
  const details = token === undefined ? isLoopback(req.socket.remoteAddress) : authorized;
  return route.handle({ params, details }, deps);
}

function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  res.writeHead(reply.status, {
    'Content-Type': reply.type,
    'Content-Length': Buffer.byteLength(reply.body),
    // Glucose goes stale in minutes: never serve it from a cache.
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...reply.headers,
  });
  res.end(req.method === 'HEAD' ? undefined : reply.body);
}

/**
 * The request handler: routing, auth and JSON errors. Nothing it does can reject unhandled or
 * throw into Node's `http`: a failure answers 500 `HTTP009` and is logged once.
 */
export function createHandler(deps: RouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void answer(req, deps)
      .catch((err: unknown) => {
        deps.log.error({ err, code: 'HTTP009', method: req.method }, `[HTTP009] HTTP ${describeTarget(req.url)} failed`);
        return refuse('HTTP009');
      })
      .then((reply) => send(req, res, reply))
      .catch((err: unknown) => {
        deps.log.error({ err, code: 'HTTP009' }, `[HTTP009] HTTP ${describeTarget(req.url)}: the answer could not be sent`);
        res.destroy();
      });
  };
}

/** The request's path for a log line: known routes as they are, anything else cut short (it is the client's text). */
function describeTarget(url: string | undefined): string {
  const path = parseTarget(url ?? '/')?.path;
  return path !== undefined && Object.hasOwn(ROUTES, path) ? path : JSON.stringify((url ?? '').slice(0, 60));
}

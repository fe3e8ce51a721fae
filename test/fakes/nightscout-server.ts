import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { NsAuth, type AuthKind, type SubjectSpec, type VersionMode } from './nightscout/auth.js';
import type { FakeNightscoutCounters, NsContext } from './nightscout/context.js';
import { cannot, json, v1Status, v3Status, type NsRequest, type Reply } from './nightscout/http.js';
import { COLLECTIONS, Store, type CollectionName, type Doc } from './nightscout/store.js';
import { handleV1 } from './nightscout/v1.js';
import { handleV2 } from './nightscout/v2.js';
import { handleV3 } from './nightscout/v3.js';

export type { AuthKind, SubjectSpec, VersionMode } from './nightscout/auth.js';
export type { FakeNightscoutCounters } from './nightscout/context.js';
export type { CollectionName, Doc } from './nightscout/store.js';
export { BUILTIN_ROLES } from './nightscout/permissions.js';

/**
 * A fake Nightscout (cgm-remote-monitor 15.0.7) on 127.0.0.1,
 * held to the real server's answers by `nightscout-conformance.test.ts` (where the two differed,
 * the fake was corrected, quirks included):
 * API v1 (entries/treatments/devicestatus/status/verifyauth), the v2 JWT exchange and API v3,
 * with in-memory storage, a request log, counters, an injectable clock and fault injection.
 * `version: '14.2'` switches to the 14.2 behaviour (v3 `?token=`, lowercase-only SHA-1, v1
 * entries replace and treatments keyed on created_at+eventType); `v3: false` plays a server
 * without API v3 so a client's v1 fallback can be exercised.
 */

export interface FakeNightscoutSettings {
  /** `API_SECRET` (≥ 12 chars). */
  apiSecret: string;
  /** Subject name → role names, or `{ roles, permissions }`. */
  subjects: Record<string, SubjectSpec>;
  /** Custom roles (name → Shiro permissions); built-ins (`admin`, `readable`, …) need not be listed. */
  roles: Record<string, string[]>;
  /** `AUTH_DEFAULT_ROLES` (comma/space separated string or list). */
  defaultRoles: string | string[];
  version: VersionMode;
  /** false → no API v3: every `/api/v3` path is Express' 404 and `/api/versions` omits it. */
  v3: boolean;
  /** `AUTH_FAIL_DELAY` (per-IP penalty per failed credential). */
  authFailDelayMs: number;
  /** Delay before every answer (real time). */
  latencyMs: number;
}

export interface FakeNightscoutOptions extends Partial<FakeNightscoutSettings> {
  /** The server's clock (epoch ms): srvModified, JWT iat/exp, v1 default windows, `now` defaults. */
  now?: () => number;
}

export interface LoggedRequest {
  method: string;
  /** Path without query string; the v2 token segment is masked. */
  path: string;
  /** Query parameters; `secret` and `token` values are masked. */
  query: Record<string, string | string[]>;
  status: number;
  /** Which credential the request authenticated with (or tried to). */
  auth: AuthKind;
  subject?: string;
  /** Set when the answer came from fault injection. */
  fault?: 'fail' | 'drop';
  at: number;
}

export type FaultScope = 'writes' | 'all';

export interface FakeNightscout {
  url: string;
  close(): Promise<void>;
  readonly settings: Readonly<FakeNightscoutSettings>;
  set(patch: Partial<FakeNightscoutSettings>): void;
  /** Access token of every subject (`<abbrev>-<16 hex>`). */
  readonly tokens: Readonly<Record<string, string>>;
  token(subject: string): string;
  /** SHA-1 hex of the API secret, the `api-secret` header value clients send. */
  readonly apiSecretSha1: string;
  readonly apiSecretSha512: string;
  /** Deep copies of the stored documents in insertion order, soft-deleted ones included (with `_id`). */
  docs(collection: CollectionName): Doc[];
  /** Stored documents, soft-deleted ones included unless `includeDeleted: false`. */
  count(collection: CollectionName, options?: { includeDeleted?: boolean }): number;
  /** Store a document as-is, as if a v1 client or Mongo import had written it; returns it with `_id`. */
  seed(collection: CollectionName, doc: Record<string, unknown>): Doc;
  clear(collection?: CollectionName): void;
  readonly requests: LoggedRequest[];
  readonly counters: FakeNightscoutCounters;
  resetCounters(): void;
  /** The next `n` matching requests answer `status` (JSON error) without touching storage. */
  failNext(n: number, status?: number, scope?: FaultScope): void;
  /** The next `n` matching requests get their connection destroyed; `afterProcessing` stores first (lost answer). */
  dropNext(n: number, options?: { afterProcessing?: boolean; scope?: FaultScope }): void;
  /** Ends every pending `failNext` / `dropNext`: the site is back. */
  clearFaults(): void;
}

const DEFAULTS: FakeNightscoutSettings = {
  apiSecret: 'fake-nightscout-secret',
  subjects: {},
  roles: {},
  defaultRoles: 'readable',
  version: '15',
  v3: true,
  authFailDelayMs: 0,
  latencyMs: 0,
};

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

const emptyCounters = (): FakeNightscoutCounters => ({
  requests: 0,
  jwtRequests: 0,
  jwtIssued: 0,
  authFailures: 0,
  forbidden: 0,
  faults: 0,
  created: Object.fromEntries(COLLECTIONS.map((c) => [c, 0])) as Record<CollectionName, number>,
  deduplicated: Object.fromEntries(COLLECTIONS.map((c) => [c, 0])) as Record<CollectionName, number>,
});

interface Fault {
  remaining: number;
  scope: FaultScope;
  kind: 'fail' | 'drop-before' | 'drop-after';
  status: number;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function maskedQuery(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key).map((v) => (key === 'secret' || key === 'token' ? '***' : v));
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

const maskedPath = (path: string): string => path.replace(/^(\/api\/v2\/authorization\/request\/).+$/, '$1***');

function write(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload = '';
  if (reply.text !== undefined) {
    payload = reply.text;
    headers['Content-Type'] = reply.contentType ?? 'text/plain; charset=utf-8';
  } else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers['Content-Type'] = 'application/json; charset=utf-8';
  }
  res.writeHead(reply.status, headers);
  res.end(reply.status === 304 ? undefined : payload);
}

function route(req: NsRequest, ctx: NsContext): Promise<Reply> | Reply {
  const p = req.path;
  if (p === '/api/versions' && req.method === 'GET') {
    const versions = [
      { version: '1.0.0', url: '/api/v1' },
      { version: '2.0.0', url: '/api/v2' },
    ];
    if (ctx.mode.v3) versions.push({ version: '3.0.3-alpha', url: '/api/v3' });
    return json(200, versions);
  }
  if (p === '/api/v3' || p.startsWith('/api/v3/')) return ctx.mode.v3 ? handleV3(req, ctx) : cannot(req.method, p);
  if (p.startsWith('/api/v2/')) return handleV2(req, ctx);
  if (p === '/api/v1' || p.startsWith('/api/v1/')) return handleV1(req, ctx);
  return cannot(req.method, p);
}

export async function startFakeNightscout(options: FakeNightscoutOptions = {}): Promise<FakeNightscout> {
  const { now: clock, ...rest } = options;
  const now = clock ?? ((): number => Date.now());
  const settings: FakeNightscoutSettings = { ...DEFAULTS, ...rest };
  let counters = emptyCounters();
  const authConfig = (): ConstructorParameters<typeof NsAuth>[0] => ({
    apiSecret: settings.apiSecret,
    roles: settings.roles,
    subjects: settings.subjects,
    defaultRoles: settings.defaultRoles,
    version: settings.version,
    authFailDelayMs: settings.authFailDelayMs,
  });
  const auth = new NsAuth(authConfig(), now, () => counters.authFailures++);
  const store = new Store(now);
  const ctx: NsContext = {
    store,
    auth,
    now,
    mode: { version: settings.version, v3: settings.v3 },
    get counters() {
      return counters;
    },
  };
  const requests: LoggedRequest[] = [];
  const faults: Fault[] = [];

  function takeFault(method: string): Fault | undefined {
    const f = faults[0];
    if (!f || (f.scope === 'writes' && !WRITE_METHODS.includes(method))) return undefined;
    if (--f.remaining <= 0) faults.shift();
    counters.faults++;
    return f;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
    const nsReq: NsRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      ip: req.socket.remoteAddress ?? '127.0.0.1',
      meta: { auth: 'none' },
    };
    counters.requests++;
    if (settings.latencyMs > 0) await sleep(settings.latencyMs);
    const log = (status: number, fault?: LoggedRequest['fault']): void => {
      requests.push({
        method: nsReq.method,
        path: maskedPath(path),
        query: maskedQuery(url.searchParams),
        status,
        auth: nsReq.meta.auth,
        ...(nsReq.meta.subject ? { subject: nsReq.meta.subject } : {}),
        ...(fault ? { fault } : {}),
        at: now(),
      });
    };
    const fault = takeFault(nsReq.method);
    if (fault?.kind === 'fail') {
      const reply = path.startsWith('/api/v3') ? v3Status(fault.status, 'Database error') : v1Status(fault.status, 'Mongo Error');
      log(fault.status, 'fail');
      write(res, reply);
      return;
    }
    if (fault?.kind === 'drop-before') {
      log(0, 'drop');
      res.socket?.destroy();
      return;
    }
    let reply: Reply;
    try {
      reply = await route(nsReq, ctx);
    } catch {
      // Storage errors surface as the server's generic 500s.
      reply = path.startsWith('/api/v3') ? v3Status(500, 'Database error') : v1Status(500, 'Mongo Error');
    }
    if (fault?.kind === 'drop-after') {
      log(0, 'drop');
      res.socket?.destroy();
      return;
    }
    log(reply.status);
    write(res, reply);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeNightscout = {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    settings,
    set(patch) {
      Object.assign(settings, patch);
      ctx.mode.version = settings.version;
      ctx.mode.v3 = settings.v3;
      auth.configure(authConfig());
    },
    get tokens() {
      return auth.tokens();
    },
    token(subject) {
      const t = auth.tokens()[subject];
      if (t === undefined) throw new Error(`no subject ${subject}`);
      return t;
    },
    get apiSecretSha1() {
      return createHash('sha1').update(settings.apiSecret).digest('hex');
    },
    get apiSecretSha512() {
      return createHash('sha512').update(settings.apiSecret).digest('hex');
    },
    docs: (collection) => store.col(collection).all().map((d) => structuredClone(d)),
    count: (collection, opts) =>
      opts?.includeDeleted === false ? store.col(collection).all().filter((d) => d.isValid !== false).length : store.col(collection).size,
    seed: (collection, doc) => structuredClone(store.col(collection).insert(doc)),
    clear(collection) {
      for (const c of collection ? [collection] : COLLECTIONS) store.col(c).clear();
    },
    requests,
    get counters() {
      return counters;
    },
    resetCounters() {
      counters = emptyCounters();
    },
    failNext(n, status = 500, scope = 'writes') {
      if (n > 0) faults.push({ remaining: n, scope, kind: 'fail', status });
    },
    dropNext(n, opts = {}) {
      if (n > 0) faults.push({ remaining: n, scope: opts.scope ?? 'writes', kind: opts.afterProcessing ? 'drop-after' : 'drop-before', status: 0 });
    },
    clearFaults() {
      faults.length = 0;
    },
  };
  return fake;
}

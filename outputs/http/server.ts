import { createServer, STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { HTTP_RESPONSE_ERRORS, httpStartError, type HttpResponseCode } from './errors.js';
import { createHandler, type RouteDeps } from './routes.js';

/** A slow or silent client cannot hold a socket longer than these. */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 15_000;
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/**
 * How often Node checks those timeouts: a slow client stays at most this much longer. Its default,
 * 30 s, is too lax; 1 s woke an idle bridge every second even with no client (0.08 % of a core).
 */
export const TIMEOUT_CHECK_MS = 5_000;

export interface HttpTimeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
  checkMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = {
  headersMs: HEADERS_TIMEOUT_MS,
  requestMs: REQUEST_TIMEOUT_MS,
  keepAliveMs: KEEP_ALIVE_TIMEOUT_MS,
  checkMs: TIMEOUT_CHECK_MS,
};

/** Stopping waits this long for answers in flight, then cuts every connection (the exit stays within 5 s). */
export const CLOSE_GRACE_MS = 1_000;

export interface HttpServerOptions extends RouteDeps {
  /** `host:port`; port 0 picks a free one (tests). */
  bind: string;
  /** Tests shorten them. */
  timeouts?: HttpTimeouts;
}

export interface HttpServer {
  /** Listens; throws ConfigError HTTP001 (port in use) or HTTP002 (cannot listen). */
  start(): Promise<void>;
  /** The address actually bound, after `start`. */
  address(): { host: string; port: number; url: string };
  /** Stops accepting, lets answers in flight finish (briefly), and closes every socket. */
  stop(): Promise<void>;
}

/** Node's own reasons for refusing a request before it reaches the routes; any other is HTTP010 (400). */
const CLIENT_ERRORS: Record<string, HttpResponseCode> = {
  HPE_HEADER_OVERFLOW: 'HTTP011',
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP012',
};

/**
 * A request Node cannot parse (a malformed request line, huge headers, too slow): the same answer
 * Node gives without a listener (400, 431 or 408, then close), with our JSON body and code. It
 * answers only while no response has started on the socket, as Node does, so nothing is corrupted.
 */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // Node keeps the response in flight on the socket as `_httpMessage` (lib/_http_server.js socketOnError).
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
    const code = CLIENT_ERRORS[err.code ?? ''] ?? 'HTTP010';
    const { status, message } = HTTP_RESPONSE_ERRORS[code];
    const body = `${JSON.stringify({ code, message })}\n`;
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export function splitBind(bind: string): { host: string; port: number } {
  const i = bind.lastIndexOf(':');
  return { host: bind.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(bind.slice(i + 1)) };
}

/** The HTTP actor: Node's `http` serving the routes in `routes.ts`, with a start/stop lifecycle. */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  let server: Server | undefined;
  const { host, port } = splitBind(options.bind);

  async function start(): Promise<void> {
    const t = options.timeouts ?? DEFAULT_TIMEOUTS;
    const s = createServer({ connectionsCheckingInterval: t.checkMs }, createHandler(options));
    s.headersTimeout = t.headersMs;
    s.requestTimeout = t.requestMs;
    s.keepAliveTimeout = t.keepAliveMs;
    // A socket that sends nothing at all is closed too.
    s.setTimeout(t.requestMs, (socket) => socket.destroy());
    s.on('clientError', onClientError);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const params = { bind: options.bind, reason: err.code ?? err.message };
        reject(httpStartError(err.code === 'EADDRINUSE' ? 'HTTP001' : 'HTTP002', { params, cause: err }));
      };
      s.once('error', onError);
      s.listen({ host, port }, () => {
        s.off('error', onError);
        resolve();
      });
    });
    s.on('error', (err) => options.log.error({ err }, 'HTTP API error'));
    server = s;
  }

  function address(): { host: string; port: number; url: string } {
    const a = server?.address() as AddressInfo | null | undefined;
    if (!a) throw new Error('the HTTP server is not listening');
    const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return { host: a.address, port: a.port, url: `http://${shown}:${a.port}` };
  }

  async function stop(): Promise<void> {
    const s = server;
    server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeIdleConnections();
    const timer = setTimeout(() => s.closeAllConnections(), CLOSE_GRACE_MS);
    await closed;
    clearTimeout(timer);
  }

  return { start, address, stop };
}

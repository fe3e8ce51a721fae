import type { AxiosInstance } from 'axios';
import { createHttpClient } from '../../lib/http.js';
import type { Secret } from '../../lib/secret.js';
import { lluError } from './errors.js';
import { authHeaders, baseHeaders, bearerHeaders, jsonHeaders, type AppIdentity } from './headers.js';

/**
 * HTTP only: builds the LibreLink Up requests and returns what came back, unread. What a status
 * or body *means* is decided in responses.ts and login.ts. Only transport failures throw here.
 */

/** An answer as received: status, the body text, and the body parsed when it is JSON. */
export interface WireResponse {
  /** For error messages: `login`, `connections`, `graph`, … */
  what: string;
  httpStatus: number;
  text: string;
  /** The parsed body; `undefined` when empty, HTML or not valid JSON (a truncated body included). */
  json: unknown;
  /** The `Retry-After` header, raw. */
  retryAfter: string | undefined;
  contentType: string;
}

/** What an authenticated call needs: where, with which ticket, as whom. */
export interface Ticket {
  baseUrl: string;
  token: Secret;
  /** SHA-256 of the logged-in user's id (headers.ts). */
  accountId: string;
}

export interface LluClient {
  login(baseUrl: string, credentials: { email: string; password: Secret }, signal: AbortSignal): Promise<WireResponse>;
  /** Accepts a `tou` / `pp` step with its step token (no `/llu` prefix: vendor-apis.md §1.2). */
  continueStep(baseUrl: string, step: string, stepToken: Secret, signal: AbortSignal): Promise<WireResponse>;
  connections(ticket: Ticket, signal: AbortSignal): Promise<WireResponse>;
  graph(ticket: Ticket, patientId: string, signal: AbortSignal): Promise<WireResponse>;
}

interface Request {
  what: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  signal: AbortSignal;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function transportReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

async function send(http: AxiosInstance, request: Request): Promise<WireResponse> {
  if (request.signal.aborted) throw request.signal.reason;
  let response;
  try {
    response = await http.request<string>({
      method: request.method,
      url: request.url,
      headers: request.headers,
      data: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: request.signal,
      responseType: 'text',
      // Keep the raw text: an HTML or truncated body must reach our checks, not axios' parser.
      transformResponse: [(data: unknown) => data],
    });
  } catch (error) {
    if (request.signal.aborted) throw request.signal.reason;
    // A fresh cause: axios errors carry the request config, headers and password included.
    const cause = new Error(transportReason(error));
    throw lluError('LLU025', { params: { host: new URL(request.url).host, reason: cause.message }, cause });
  }
  const text = typeof response.data === 'string' ? response.data : '';
  const header = (name: string): string | undefined => {
    const value: unknown = response.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    what: request.what,
    httpStatus: response.status,
    text,
    json: parseJson(text),
    retryAfter: header('retry-after'),
    contentType: header('content-type') ?? '',
  };
}

/** The client for one driver; no I/O until a method is called. */
export function createLluClient(app: AppIdentity): LluClient {
  const http = createHttpClient({});
  const common = baseHeaders(app);
  return {
    login: (baseUrl, credentials, signal) =>
      send(http, {
        what: 'the login',
        method: 'POST',
        url: `${baseUrl}/llu/auth/login`,
        headers: { ...common, ...jsonHeaders() },
        body: { email: credentials.email, password: credentials.password.reveal() },
        signal,
      }),
    continueStep: (baseUrl, step, stepToken, signal) =>
      send(http, {
        what: `accepting "${step}"`,
        method: 'POST',
        url: `${baseUrl}/auth/continue/${encodeURIComponent(step)}`,
        headers: { ...common, ...jsonHeaders(), ...bearerHeaders(stepToken.reveal()) },
        body: {},
        signal,
      }),
    connections: (ticket, signal) =>
      send(http, {
        what: 'the connections list',
        method: 'GET',
        url: `${ticket.baseUrl}/llu/connections`,
        headers: { ...common, ...authHeaders(ticket.token.reveal(), ticket.accountId) },
        signal,
      }),
    graph: (ticket, patientId, signal) =>
      send(http, {
        what: 'the graph',
        method: 'GET',
        url: `${ticket.baseUrl}/llu/connections/${encodeURIComponent(patientId)}/graph`,
        headers: { ...common, ...authHeaders(ticket.token.reveal(), ticket.accountId) },
        signal,
      }),
  };
}

import type { AxiosInstance } from 'axios';
import { withDeadline } from './deadline.js';
import { agentsFrom, DEFAULT_HTTP_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES, MiB } from './http.js';
import type { RequestGate } from './request-budget.js';
import { wireError } from './wire-errors.js';

/**
 * HTTP as the drivers and outputs see it: a request goes out, the answer comes back unread
 * (status, text, JSON when it parses). What a status or body *means* is decided by the caller;
 * only transport failures throw, and never with the request (headers, passwords) attached.
 */

/** An answer as received. */
export interface WireResponse {
  /** For error messages: `the login`, `POST /api/v3/entries`, … */
  what: string;
  httpStatus: number;
  text: string;
  /** The parsed body; `undefined` when empty, HTML or not valid JSON (a truncated body included). */
  json: unknown;
  /** The `Retry-After` header, raw. */
  retryAfter: string | undefined;
  contentType: string;
  /** Every `Set-Cookie` header, raw, for drivers that keep a cookie jar. */
  setCookies: string[];
  /** The `Location` header of a redirect (redirects are never followed). */
  location: string | undefined;
}

export interface WireRequest {
  what: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as `application/x-www-form-urlencoded` instead of `body` (web form logins, OAuth token endpoints). */
  form?: Record<string, string>;
  signal: AbortSignal;
  /**
   * The whole request, answer included, ends within this many ms (a coded transport failure), not
   * only while bytes keep coming: a server that trickles its answer cannot hold a caller longer.
   * Default: the client's `timeout` (30 s for the shared client), so no request is unbounded.
   */
  deadlineMs?: number;
  /**
   * Neither the request body nor the answer may be larger than this (WIRE002 / WIRE001); an answer
   * that grows past it is cut off, not read. Default: the client's `maxContentLength` (4 MiB).
   */
  maxBytes?: number;
}

/** The request never got an answer; `reason` is safe to log (no request config inside). */
export interface TransportFailure {
  host: string;
  reason: string;
  /** A fresh error with only `reason`: axios errors carry the request config, headers and password included. */
  cause: Error;
}

export function parseJson(text: string): unknown {
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

function contentType(request: WireRequest): Record<string, string> {
  if (request.form !== undefined) return { 'content-type': 'application/x-www-form-urlencoded' };
  return request.body === undefined ? {} : { 'content-type': 'application/json' };
}

function encodedBody(request: WireRequest): string | undefined {
  if (request.form !== undefined) return new URLSearchParams(request.form).toString();
  return request.body === undefined ? undefined : JSON.stringify(request.body);
}

/**
 * Sends `request`; an abort rethrows the signal's reason, any other transport failure is turned
 * into the caller's coded error by `onFailure`. With a `gate` (a vendor source in a fleet), the
 * request waits for the host's shared budget (lib/request-budget.ts) and leaves from the gate's
 * egress address, if it has one.
 */
export function sendWire(http: AxiosInstance, request: WireRequest, onFailure: (failure: TransportFailure) => Error, gate?: RequestGate): Promise<WireResponse> {
  if (!gate) return sendNow(http, request, onFailure);
  const from = gate.localAddress;
  return gate.run(new URL(request.url).host, request.signal, () => sendNow(http, request, onFailure, from));
}

/** A positive number from a client's defaults, else `fallback` (axios uses 0 and -1 for "none"). */
function positive(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

function sizeText(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`;
}

/** axios says a body was too large only in its message; `undefined` for every other failure. */
function oversize(error: unknown): 'answer' | 'request' | undefined {
  const message = error instanceof Error ? error.message : '';
  if (message.startsWith('maxContentLength size of')) return 'answer';
  if (message.includes('maxBodyLength')) return 'request';
  return undefined;
}

async function sendNow(http: AxiosInstance, request: WireRequest, onFailure: (failure: TransportFailure) => Error, localAddress?: string): Promise<WireResponse> {
  if (request.signal.aborted) throw request.signal.reason;
  const deadlineMs = request.deadlineMs ?? positive(http.defaults.timeout, DEFAULT_HTTP_TIMEOUT_MS);
  const maxBytes = request.maxBytes ?? positive(http.defaults.maxContentLength, DEFAULT_MAX_BODY_BYTES);
  const deadline = withDeadline(request.signal, deadlineMs, () => new Error('deadline'));
  let response;
  try {
    response = await http.request<string>({
      method: request.method,
      url: request.url,
      headers: { ...contentType(request), ...request.headers },
      data: encodedBody(request),
      signal: deadline.signal,
      maxContentLength: maxBytes,
      maxBodyLength: maxBytes,
      ...(localAddress === undefined ? {} : agentsFrom(localAddress)),
      responseType: 'text',
      // Keep the raw text: an HTML or truncated body must reach our checks, not axios' parser.
      transformResponse: [(data: unknown) => data],
    });
  } catch (error) {
    if (request.signal.aborted) throw request.signal.reason;
    const host = new URL(request.url).host;
    const tooLarge = oversize(error);
    const params = { host, what: request.what, limit: sizeText(maxBytes) };
    if (tooLarge === 'answer') throw wireError('WIRE001', { params, cause: new Error(`answer larger than ${maxBytes} bytes`) });
    if (tooLarge === 'request') throw wireError('WIRE002', { params, cause: new Error(`request body larger than ${maxBytes} bytes`) });
    const reason = deadline.expired() ? `no complete answer within ${deadlineMs / 1000} s` : transportReason(error);
    throw onFailure({ host, reason, cause: new Error(reason) });
  } finally {
    deadline.done();
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
    setCookies: setCookieHeaders(response.headers['set-cookie']),
    location: header('location'),
  };
}

function setCookieHeaders(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** `Retry-After` in seconds or as an HTTP date, in ms from `nowMs`. */
export function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

const EXCERPT_CHARS = 160;
const SECRET_FIELDS = /"(token|password|email|authorization|trustedDeviceToken|api-secret|secret|accessToken|access_token|refresh_token|id_token|client_secret)"\s*:\s*"[^"]*"/gi;

/** A short, single-line body excerpt with credential-looking fields masked. */
export function excerpt(text: string): string {
  const masked = text.replace(SECRET_FIELDS, '"$1":"***"').replace(/\s+/g, ' ').trim();
  return masked.length > EXCERPT_CHARS ? `${masked.slice(0, EXCERPT_CHARS)}…` : masked;
}

/** The `cause` of an error built from a response: status and a redacted excerpt, never the request. */
export function responseCause(response: Pick<WireResponse, 'httpStatus' | 'text'>): Error {
  const body = excerpt(response.text);
  return new Error(body ? `HTTP ${response.httpStatus}: ${body}` : `HTTP ${response.httpStatus} (empty body)`);
}

import type { IncomingHttpHeaders } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { AuthKind } from './auth.js';

/** The fake's request/response model: handlers return a `Reply`; the server writes (or drops) it. */

export interface NsRequest {
  method: string;
  /** Decoded path without query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  ip: string;
  /** Filled by the auth step, for the request log. */
  meta: { auth: AuthKind; subject?: string };
}

export interface Reply {
  status: number;
  /** Serialized as JSON unless `text` is given. */
  body?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body, ...(headers ? { headers } : {}) });

/** API v3 error body `{status, message}`; bare `{status}` without a message. */
export const v3Status = (status: number, message?: string): Reply => json(status, message === undefined ? { status } : { status, message });

/** v1 `sendJSONStatus` body. */
export const v1Status = (status: number, message: string, description?: string): Reply =>
  json(status, description === undefined ? { status, message } : { status, message, description });

export const unauthorizedV1 = (): Reply => v1Status(401, 'Unauthorized', 'Invalid/Missing');

/** Express' final handler for an unmatched route. */
export const cannot = (method: string, path: string): Reply => ({
  status: 404,
  text: `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot ${method} ${path}</pre>\n</body>\n</html>\n`,
  contentType: 'text/html; charset=utf-8',
});

export function header(req: NsRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export type Body = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'malformed' } | { kind: 'too-large' };

/** body-parser's size limits: `50Mb` for v3 and v1 entries/treatments, `1Mb` for v1 devicestatus. */
export const MB = 1024 * 1024;

/**
 * body-parser's `json()`: only `application/json` bodies are read (anything else leaves `{}`),
 * gzip/deflate are inflated, the inflated size is held to `limit`, and strict mode accepts only
 * objects and arrays.
 */
export function parseJsonBody(req: NsRequest, limit = 50 * MB): Body {
  const type = header(req, 'content-type') ?? '';
  if (!/^application\/(.+\+)?json\s*(;|$)/i.test(type)) return { kind: 'none' };
  let raw = req.rawBody;
  try {
    const encoding = (header(req, 'content-encoding') ?? 'identity').toLowerCase();
    if (encoding === 'gzip') raw = gunzipSync(raw);
    else if (encoding === 'deflate') raw = inflateSync(raw);
  } catch {
    return { kind: 'malformed' };
  }
  if (raw.length > limit) return { kind: 'too-large' };
  const text = raw.toString('utf8');
  if (text.trim() === '') return { kind: 'none' };
  if (!/^[\s]*[[{]/.test(text)) return { kind: 'malformed' };
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'malformed' };
  }
}

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The error page an Express error handler renders for v1: a parser failure, an oversized body, a throw. */
export const errorPage = (status: number, error: string): Reply => ({
  status,
  text: `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>${escapeHtml(error)}</pre>\n</body>\n</html>\n`,
  contentType: 'text/html; charset=utf-8',
});

/** What a v1 route answers for a body it could not read. */
export function unreadableBody(body: Body): Reply | undefined {
  if (body.kind === 'malformed') return errorPage(400, 'SyntaxError: Unexpected token in JSON');
  if (body.kind === 'too-large') return errorPage(413, 'PayloadTooLargeError: request entity too large');
  return undefined;
}

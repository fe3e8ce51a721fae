import type { NsContext } from './context.js';
import { parseJsonBody, v3Status, type NsRequest, type Reply } from './http.js';
import { isCollection } from './store.js';
import { authenticate, isReply } from './v3-common.js';
import { history, lastModified, read, search, status, version } from './v3-read.js';
import { create, patch, put, remove } from './v3-write.js';

/** Router for `/api/v3/*`. */

const badRoute = (): Reply => v3Status(404, 'Bad operation or collection');

export async function handleV3(req: NsRequest, ctx: NsContext): Promise<Reply> {
  const segments = req.path
    .slice('/api/v3'.length)
    .split('/')
    .filter((s) => s !== '');
  const [first, second, third, ...rest] = segments;
  if (first === undefined || rest.length > 0) return badRoute();
  const method = req.method;

  // body-parser runs before any route: a broken JSON body is a 500 whatever the route or auth.
  let body: unknown = {};
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    const parsed = parseJsonBody(req);
    // The v3 app maps every body-parser error (broken JSON, over 50 MiB) to this 500.
    if (parsed.kind === 'malformed' || parsed.kind === 'too-large') return v3Status(500, 'Internal Server Error');
    if (parsed.kind === 'json') body = parsed.value;
  }

  if (second === undefined && method === 'GET' && first === 'version') return version(ctx);
  const isSpecific = second === undefined && method === 'GET' && (first === 'status' || first === 'lastModified');
  const col = isCollection(first) ? ctx.store.col(first) : undefined;
  if (!isSpecific && !col) return badRoute();
  if (col && third !== undefined && second !== 'history') return badRoute();

  const grant = await authenticate(req, ctx);
  if (isReply(grant)) return grant;
  if (first === 'status' && !col) return status(ctx, grant);
  if (first === 'lastModified' && !col) return lastModified(ctx, grant);
  if (!col) return badRoute();

  const w = { ctx, req, col, grant };
  if (second === undefined) {
    if (method === 'GET') return search(ctx, req, grant, col);
    if (method === 'POST') return create(w, body);
    return badRoute();
  }
  if (second === 'history' && method === 'GET') return history(ctx, req, grant, col, third);
  switch (method) {
    case 'GET':
      return read(ctx, req, grant, col, second);
    case 'PUT':
      return put(w, second, body);
    case 'PATCH':
      return patch(w, second, body);
    case 'DELETE':
      return remove(w, second);
    default:
      return badRoute();
  }
}

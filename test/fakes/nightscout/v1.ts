import type { NsContext } from './context.js';
import { cannot, errorPage, json, MB, parseJsonBody, unreadableBody, v1Status, type NsRequest, type Reply } from './http.js';
import { listDeviceStatus, listEntries, listTreatments, statusJson, verifyAuth } from './v1-read.js';
import { requireV1, resolveV1 } from './v1-auth.js';
import { incomingEntries, prepareEntry, saveTreatment, storeDeviceStatus, storeEntry, storeTreatments } from './v1-write.js';

/** Router for `/api/v1/*` (JSON; entries also answer TSV without `.json`/Accept json). */

const isGrantReply = (x: object): x is Reply => 'status' in x && !('kind' in x);

export async function handleV1(req: NsRequest, ctx: NsContext): Promise<Reply> {
  const rest = req.path.slice('/api/v1'.length).replace(/\/+$/, '');
  const [, resource = '', spec, ...more] = rest.split('/');
  const base = resource.replace(/\.json$/, '');
  const sub = spec?.replace(/\.json$/, '');
  const method = req.method;
  if (more.length > 0) return cannot(method, req.path);

  let body: unknown;
  if (method === 'POST' || method === 'PUT') {
    // devicestatus has the shared 1 MB JSON parser; entries and treatments their own 50 MB one.
    const parsed = parseJsonBody(req, base === 'devicestatus' ? MB : 50 * MB);
    const unreadable = unreadableBody(parsed);
    if (unreadable) return unreadable;
    body = parsed.kind === 'json' ? parsed.value : {};
  }

  if (base === 'verifyauth' && sub === undefined && method === 'GET') return verifyAuth(await resolveV1(req, ctx));

  if (base === 'status' && sub === undefined && method === 'GET') {
    const g = await requireV1(req, ctx, ['api:status:read']);
    return isGrantReply(g) ? g : statusJson(ctx, req);
  }

  if (base === 'entries') {
    if (method === 'GET') {
      const g = await requireV1(req, ctx, ['api:entries:read']);
      return isGrantReply(g) ? g : listEntries(ctx, req, sub);
    }
    if (method === 'POST' && (sub === undefined || sub === 'preview')) {
      const g = await requireV1(req, ctx, ['api:entries:read', 'api:entries:create'], body);
      if (isGrantReply(g)) return g;
      const docs = incomingEntries(body).map((d) => prepareEntry(ctx, d));
      if (sub === 'preview') return json(200, docs);
      const col = ctx.store.col('entries');
      return json(200, docs.map((d) => storeEntry(ctx, col, d)));
    }
  }

  if (base === 'treatments' && sub === undefined) {
    const action = { GET: undefined, POST: 'create', PUT: 'update' }[method as 'GET' | 'POST' | 'PUT'];
    if (method === 'GET' || action !== undefined) {
      const perms = ['api:treatments:read', ...(action ? [`api:treatments:${action}`] : [])];
      const g = await requireV1(req, ctx, perms, body);
      if (isGrantReply(g)) return g;
      const col = ctx.store.col('treatments');
      if (method === 'GET') return listTreatments(ctx, req);
      try {
        if (method === 'POST') return json(200, storeTreatments(ctx, col, body));
        return json(200, saveTreatment(ctx, col, (body ?? {}) as Record<string, unknown>));
      } catch (error) {
        // e.g. an invalid eventTime: `toISOString()` throws before storage, into Express' error page.
        if (error instanceof RangeError) return errorPage(500, `${error.name}: ${error.message}`);
        throw error;
      }
    }
  }

  if (base === 'devicestatus' && sub === undefined && (method === 'GET' || method === 'POST')) {
    const perms = method === 'POST' ? ['api:devicestatus:read', 'api:devicestatus:create'] : ['api:devicestatus:read'];
    const g = await requireV1(req, ctx, perms, body);
    if (isGrantReply(g)) return g;
    if (method === 'GET') return listDeviceStatus(ctx, req);
    const stored = storeDeviceStatus(ctx, ctx.store.col('devicestatus'), body);
    if ('invalidId' in stored) {
      return v1Status(400, 'Invalid _id format', `Must be 24-character hex string or omit for auto-generation. Got: ${String(stored.invalidId)}`);
    }
    return json(200, stored.docs);
  }

  return cannot(method, req.path);
}

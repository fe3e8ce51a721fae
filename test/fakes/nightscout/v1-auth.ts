import type { Grant } from './auth.js';
import type { NsContext } from './context.js';
import { header, unauthorizedV1, type NsRequest, type Reply } from './http.js';
import { permits } from './permissions.js';

/** v1/v2 credential extraction and the per-route permission check. */

/** `secret` in the body is read and removed before storing (object, or first array element). */
function takeBodySecret(body: unknown): string | undefined {
  const target = Array.isArray(body) ? (body[0] as unknown) : body;
  if (target === null || typeof target !== 'object' || !('secret' in target)) return undefined;
  const record = target as Record<string, unknown>;
  const secret = record.secret;
  delete record.secret;
  return typeof secret === 'string' ? secret : undefined;
}

function bodyToken(body: unknown): string | undefined {
  const target = Array.isArray(body) ? (body[0] as unknown) : body;
  if (target === null || typeof target !== 'object') return undefined;
  const token = (target as Record<string, unknown>).token;
  return typeof token === 'string' ? token : undefined;
}

export async function resolveV1(req: NsRequest, ctx: NsContext, body?: unknown): Promise<Grant> {
  const secret = req.query.get('secret') || header(req, 'api-secret') || takeBodySecret(body);
  const token = req.query.get('token') || bodyToken(body);
  let bearer: string | undefined;
  const authHeader = header(req, 'authorization');
  if (authHeader) {
    const parts = authHeader.split(' ');
    if (parts.length === 2 && parts[0] === 'Bearer') bearer = parts[1];
  }
  await ctx.auth.penalty(req.ip);
  const grant = ctx.auth.resolveV1({ secret: secret || undefined, token: token || undefined, bearer });
  req.meta.auth = grant.kind;
  if (grant.subject) req.meta.subject = grant.subject.name;
  if (grant.failed) ctx.auth.fail(req.ip);
  else if (grant.kind !== 'none') ctx.auth.succeed(req.ip);
  return grant;
}

/** All `permissions` or 401 (a wrong credential gets nothing, not even the default roles). */
export async function requireV1(req: NsRequest, ctx: NsContext, permissions: readonly string[], body?: unknown): Promise<Grant | Reply> {
  const grant = await resolveV1(req, ctx, body);
  if (grant.failed || !permissions.every((p) => permits(grant.permissions, p))) return unauthorizedV1();
  return grant;
}

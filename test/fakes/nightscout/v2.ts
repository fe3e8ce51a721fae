import type { NsContext } from './context.js';
import { cannot, json, unauthorizedV1, type NsRequest, type Reply } from './http.js';

/** `GET /api/v2/authorization/request/:token` — access token (or live JWT) → 8-h JWT. */

const PREFIX = '/api/v2/authorization/request/';

export async function handleV2(req: NsRequest, ctx: NsContext): Promise<Reply> {
  if (req.method !== 'GET' || !req.path.startsWith(PREFIX) || req.path.length === PREFIX.length) return cannot(req.method, req.path);
  const token = req.path.slice(PREFIX.length);
  ctx.counters.jwtRequests++;
  await ctx.auth.penalty(req.ip);
  const authorized = ctx.auth.issueJwt(token);
  req.meta.auth = 'access-token';
  if (!authorized) {
    ctx.auth.fail(req.ip);
    return unauthorizedV1();
  }
  ctx.auth.succeed(req.ip);
  req.meta.subject = authorized.sub;
  ctx.counters.jwtIssued++;
  return json(200, authorized);
}

import type { Collection, NightscoutDocument } from '../../lib/domain.js';
import { UpstreamError } from '../../lib/errors.js';
import type { StoreProgress } from '../../lib/contracts/output.js';
import type { NightscoutClient } from '../../lib/nightscout/client.js';
import { nsError } from '../../lib/nightscout/errors.js';
import { responseCause } from '../../lib/wire.js';
import type { DevicestatusGuard } from './devicestatus-guard.js';
import { newestV1 } from './newest.js';
import { refusalError } from './refusal.js';
import { addTally, emptyTally, type Notices, type Tally } from './tally.js';

/**
 * Storing through API v1: arrays, in chunks. v1 upserts entries on
 * `{sysTime, type}` and treatments on `{created_at, eventType}` (on `identifier` since 15.0.7),
 * so re-sending those is harmless; devicestatus it never dedups, so the guard decides what goes.
 */

/** Documents per request. devicestatus bodies are limited to 1 MB and can carry long predictions. */
export const V1_CHUNK: Record<Collection, number> = { entries: 500, treatments: 500, devicestatus: 50 };

export interface V1Context {
  client: NightscoutClient;
  notices: Notices;
  devicestatus: DevicestatusGuard;
  now: () => number;
  /** Hears of every chunk as it is answered. */
  progress?: StoreProgress | undefined;
}

/** The server answered 5xx: maybe one document of the array is at fault, so halving finds it. */
function answeredWithServerError(error: unknown): boolean {
  return error instanceof UpstreamError && error.status !== undefined && error.status >= 500;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Two halves in turn; a failure of the first stops the second. */
async function halves(ctx: V1Context, collection: Collection, docs: NightscoutDocument[], signal: AbortSignal): Promise<Tally> {
  const half = Math.ceil(docs.length / 2);
  const first = await postChunk(ctx, collection, docs.slice(0, half), signal);
  return addTally(first, await postChunk(ctx, collection, docs.slice(half), signal));
}

/**
 * One POST. A 4xx refuses the whole array (nothing is stored), and so may a 5xx caused by one
 * document, so the chunk is halved until the document at fault stands alone: one bad document (or
 * a body over the size limit) costs itself. A server that is down fails the first half too, which
 * ends the halving at once.
 */
async function postChunk(ctx: V1Context, collection: Collection, docs: NightscoutDocument[], signal: AbortSignal): Promise<Tally> {
  let response;
  try {
    response = await ctx.client.request('v1', { method: 'POST', path: `/api/v1/${collection}`, body: docs }, signal);
  } catch (error) {
    if (collection === 'devicestatus') ctx.devicestatus.uncertain();
    if (docs.length > 1 && answeredWithServerError(error)) return halves(ctx, collection, docs, signal);
    if (docs.length === 1) ctx.progress?.(collection, docs, { result: 'failed', error });
    throw error;
  }
  const status = response.httpStatus;
  if (status >= 200 && status < 300) {
    if (!Array.isArray(response.json)) {
      // A proxy's or login page's 200 is not a stored reading: fail, so the frame retries.
      if (collection === 'devicestatus') ctx.devicestatus.uncertain();
      const reason = response.json === undefined ? 'not JSON' : 'not the list of stored documents';
      throw nsError('NS008', { params: { site: ctx.client.site.names.site, what: response.what, reason }, status, cause: responseCause(response) });
    }
    if (collection === 'devicestatus') ctx.devicestatus.sent(docs);
    ctx.progress?.(collection, docs, { result: 'stored' });
    return { ...emptyTally(), stored: docs.length };
  }
  const refusal = refusalError(ctx.client, response);
  if ('thrown' in refusal) throw refusal.thrown;
  if (docs.length > 1) return halves(ctx, collection, docs, signal);
  ctx.notices.rejected(collection, docs[0]?.identifier, refusal.rejected);
  ctx.progress?.(collection, docs, { result: 'rejected', error: refusal.rejected });
  return { ...emptyTally(), rejected: 1 };
}

export async function storeV1(ctx: V1Context, collection: Collection, docs: readonly NightscoutDocument[], signal: AbortSignal): Promise<Tally> {
  const tally = emptyTally();
  let toSend: readonly NightscoutDocument[] = docs;
  if (collection === 'devicestatus') {
    const { send, held } = await ctx.devicestatus.filter(docs, () => newestV1(ctx.client, 'devicestatus', signal, ctx.now()));
    // Held back = the server has them or moved past them: "already stored" as far as the frame cares.
    tally.duplicates += held;
    if (held > 0) {
      const sending = new Set(send);
      ctx.progress?.(collection, docs.filter((d) => !sending.has(d)), { result: 'duplicate' });
    }
    toSend = send;
  }
  for (const chunk of chunks(toSend, V1_CHUNK[collection])) addTally(tally, await postChunk(ctx, collection, chunk, signal));
  return tally;
}

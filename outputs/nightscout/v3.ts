import type { Collection, NightscoutDocument } from '../../lib/domain.js';
import type { StoreProgress } from '../../lib/contracts/output.js';
import { responseMessage, type NightscoutClient } from '../../lib/nightscout/client.js';
import { nsError } from '../../lib/nightscout/errors.js';
import { responseCause } from '../../lib/wire.js';
import { mapLimit } from './pool.js';
import { refusalError } from './refusal.js';
import { emptyTally, type Notices, type Tally } from './tally.js';

/**
 * Storing through API v3: one document per POST (v3 takes no arrays),
 * a few in flight over the shared keep-alive agent. The server dedups on our identifier, so a
 * retried frame re-sends safely: 201 = new, 200 = already there (replaced with the same content).
 * The client throws for 401/403/5xx/transport (the frame retries); every other 4xx is decided here.
 */

/** Requests in flight per output: enough to back-fill a day in seconds, few enough for a small server. */
export const V3_CONCURRENCY = 4;

const IMMUTABLE_FIELD = /Field (\S+) cannot be modified/;

type Answer = 'stored' | 'duplicate' | 'rejected';

export interface V3Context {
  client: NightscoutClient;
  notices: Notices;
  concurrency?: number | undefined;
  /** Hears of every document as its POST is answered. */
  progress?: StoreProgress | undefined;
}

async function postOne(ctx: V3Context, collection: Collection, doc: NightscoutDocument, signal: AbortSignal): Promise<Answer> {
  const response = await ctx.client.request('v3', { method: 'POST', path: `/api/v3/${collection}`, body: doc }, signal);
  const status = response.httpStatus;
  if (status === 204) return 'duplicate'; // servers before 14.2 answer a dedup without a body
  if (status >= 200 && status < 300) {
    if (response.json === undefined) {
      // A proxy's or login page's 200 is not a stored reading: fail, so the frame retries.
      throw nsError('NS008', { params: { site: ctx.client.site.names.site, what: response.what, reason: 'not JSON' }, status, cause: responseCause(response) });
    }
    return status === 200 ? 'duplicate' : 'stored';
  }
  const message = responseMessage(response);
  const field = status === 400 ? IMMUTABLE_FIELD.exec(message)?.[1] : undefined;
  if (field !== undefined) {
    // The identifier matched a stored document that another uploader wrote differently: it is there.
    ctx.notices.immutableField(collection, field);
    return 'duplicate';
  }
  const refusal = refusalError(ctx.client, response);
  if ('thrown' in refusal) throw refusal.thrown;
  ctx.notices.rejected(collection, doc.identifier, refusal.rejected);
  ctx.progress?.(collection, [doc], { result: 'rejected', error: refusal.rejected });
  return 'rejected';
}

/** One document's POST, told to `progress` as it is answered; a failure is told, then thrown. */
async function postTold(ctx: V3Context, collection: Collection, doc: NightscoutDocument, signal: AbortSignal): Promise<Answer> {
  let answer: Answer;
  try {
    answer = await postOne(ctx, collection, doc, signal);
  } catch (error) {
    ctx.progress?.(collection, [doc], { result: 'failed', error });
    throw error;
  }
  if (answer !== 'rejected') ctx.progress?.(collection, [doc], { result: answer === 'stored' ? 'stored' : 'duplicate' });
  return answer;
}

/**
 * Stores `docs` of one collection, in their order; throws the first retryable failure after the
 * in-flight ones finish. What was answered before it is told to `progress`, so it stays confirmed.
 */
export async function storeV3(ctx: V3Context, collection: Collection, docs: readonly NightscoutDocument[], signal: AbortSignal): Promise<Tally> {
  const answers = await mapLimit(docs, ctx.concurrency ?? V3_CONCURRENCY, (doc) => postTold(ctx, collection, doc, signal));
  const tally = emptyTally();
  for (const answer of answers) {
    if (answer === 'stored') tally.stored += 1;
    else if (answer === 'duplicate') tally.duplicates += 1;
    else tally.rejected += 1;
  }
  return tally;
}

import { z } from 'zod';
import { COLLECTIONS, type Collection, type NewestDates } from '../../lib/domain.js';
import { responseMessage, type Api, type NightscoutClient, type NightscoutRequest } from '../../lib/nightscout/client.js';
import { nsError } from '../../lib/nightscout/errors.js';
import { latestPlausible } from '../../lib/future.js';
import { latest, msOf } from '../../lib/time.js';
import { responseCause, type WireResponse } from '../../lib/wire.js';

/**
 * Gap analysis: the newest stored time per collection, so a fresh install back-fills exactly what
 * is missing. Documents written through v1 have no `date` in treatments and devicestatus, only
 * `created_at`, so both are asked for and the later one wins (cgm-remote-monitor #8151).
 */

/** v1 searches only the last 4 days unless the query names the date field. */
const SINCE_EPOCH = '2000-01-01T00:00:00.000Z';

const timesSchema = z.looseObject({ date: z.unknown().optional(), created_at: z.unknown().optional() });
/** v3 answers `{status, result}` since 14.2, a bare array before. */
const v3SearchSchema = z.union([z.object({ result: z.array(timesSchema) }).transform((b) => b.result), z.array(timesSchema)]);
const v1ListSchema = z.array(timesSchema);

function firstDoc(client: NightscoutClient, response: WireResponse, schema: z.ZodType<z.infer<typeof timesSchema>[]>): z.infer<typeof timesSchema> | undefined {
  const names = client.site.names;
  if (response.httpStatus !== 200) {
    throw nsError('NS007', {
      params: { site: names.site, what: response.what, status: response.httpStatus, reason: ` (${responseMessage(response)})` },
      status: response.httpStatus,
      cause: responseCause(response),
    });
  }
  const parsed = schema.safeParse(response.json);
  if (!parsed.success) {
    const reason = response.json === undefined ? 'not JSON' : 'not a list of documents';
    throw nsError('NS008', { params: { site: names.site, what: response.what, reason }, status: 200, cause: responseCause(response) });
  }
  return parsed.data[0];
}

async function ask(client: NightscoutClient, api: Api, request: NightscoutRequest, signal: AbortSignal) {
  const response = await client.request(api, request, signal);
  return firstDoc(client, response, api === 'v3' ? v3SearchSchema : v1ListSchema);
}

/** `GET /api/v3/{col}?sort$desc=date&limit=1&fields=date&date$lte=…`, and by `created_at` for the v1-written. */
export async function newestV3(client: NightscoutClient, collection: Collection, signal: AbortSignal, nowMs: number): Promise<number | undefined> {
  const path = `/api/v3/${collection}`;
  const until = latestPlausible(nowMs);
  const byDate = await ask(client, 'v3', { method: 'GET', path, query: { sort$desc: 'date', limit: 1, fields: 'date', date$lte: until } }, signal);
  if (collection === 'entries') return msOf(byDate?.date);
  const query = { sort$desc: 'created_at', limit: 1, fields: 'created_at', created_at$lte: new Date(until).toISOString() };
  const byCreated = await ask(client, 'v3', { method: 'GET', path, query }, signal);
  return latest(msOf(byDate?.date), msOf(byCreated?.created_at));
}

/** v1 sorts newest first by default: entries by `date`, the others by `created_at`. */
export async function newestV1(client: NightscoutClient, collection: Collection, signal: AbortSignal, nowMs: number): Promise<number | undefined> {
  const until = latestPlausible(nowMs);
  if (collection === 'entries') {
    const doc = await ask(client, 'v1', { method: 'GET', path: '/api/v1/entries.json', query: { count: 1, 'find[date][$gt]': 0, 'find[date][$lte]': until } }, signal);
    return msOf(doc?.date);
  }
  const query = { count: 1, 'find[created_at][$gte]': SINCE_EPOCH, 'find[created_at][$lte]': new Date(until).toISOString() };
  const doc = await ask(client, 'v1', { method: 'GET', path: `/api/v1/${collection}.json`, query }, signal);
  return latest(msOf(doc?.created_at), msOf(doc?.date));
}

export async function newestAll(client: NightscoutClient, api: Api, signal: AbortSignal, nowMs: number): Promise<NewestDates> {
  const newest: NewestDates = {};
  const find = api === 'v3' ? newestV3 : newestV1;
  for (const collection of COLLECTIONS) {
    const date = await find(client, collection, signal, nowMs);
    if (date !== undefined) newest[collection] = date;
  }
  return newest;
}

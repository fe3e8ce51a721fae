import { forgetOnExpiry } from '../../lib/saved-session.js';
import type { BackoffPolicy } from '../../lib/time.js';
import type { FetchWindow, SourceLoop } from '../../lib/contracts/source.js';
import type { LluClient, Ticket } from './client.js';
import { lluError } from './errors.js';
import { dataBody } from './responses.js';
import type { LluSession } from './session.js';
import { LLU_DEVICE, transformGraph } from './transform.js';

const MINUTE_MS = 60_000;
/** `graphData` reaches back about 12 h, not 24 h. */
export const GRAPH_HISTORY_MS = 12 * 60 * MINUTE_MS;
/** The current reading is on the server within seconds of the sensor's minute. */
export const GRAPH_LAG_MS = 5_000;
export const GRAPH_MAX_RETRIES = 2;
export const GRAPH_BACKOFF: BackoffPolicy = { baseMs: 10_000, capMs: 30 * MINUTE_MS };

export interface GraphLoopOptions {
  client: LluClient;
  forget: (ticket: Ticket) => Promise<void>;
  now: () => number;
  rand: () => number;
  version: string;
  intervalSeconds: number;
  minIntervalSeconds: number;
}

/** Every answer carries a renewed `ticket`; it must not travel on to captures and events. */
function withoutTicket(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const { ticket: _renewed, ...rest } = body as Record<string, unknown>;
  return rest;
}

async function fetchGraph(options: GraphLoopOptions, session: LluSession, signal: AbortSignal): Promise<unknown> {
  if (session.expiresMs <= options.now()) {
    await options.forget(session);
    throw lluError('LLU017', { params: { reason: 'the ticket expired' }, cause: new Error(`ticket expired at ${new Date(session.expiresMs).toISOString()}`) });
  }
  const response = await options.client.graph(session, session.patientId, signal);
  const query = { nowMs: options.now(), rand: options.rand, version: options.version, patientId: session.patientId };
  // The machines log in again once; the persisted ticket must not come back on that login.
  return forgetOnExpiry(() => options.forget(session), () => withoutTicket(dataBody(response, query)));
}

/**
 * The one loop: each frame reads the patient's graph (current reading + ~12 h history + active
 * sensors) and yields entries and Sensor Start treatments.
 */
export function graphLoop(options: GraphLoopOptions): SourceLoop<LluSession> {
  return {
    name: 'entries',
    collections: ['entries', 'treatments'],
    expectedIntervalMs: options.intervalSeconds * 1000,
    minIntervalMs: options.minIntervalSeconds * 1000,
    lagMs: GRAPH_LAG_MS,
    historyMs: GRAPH_HISTORY_MS,
    maxRetries: GRAPH_MAX_RETRIES,
    backoff: GRAPH_BACKOFF,
    fetch: (session: LluSession, _window: FetchWindow, signal: AbortSignal) => fetchGraph(options, session, signal),
    transform: (raw: unknown) => transformGraph(raw, LLU_DEVICE),
  };
}

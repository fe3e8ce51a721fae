import { emptyBatch, type Batch, type NightscoutDocument } from '../../lib/domain.js';
import { GlucoHubError } from '../../lib/errors.js';
import { withDeadline } from '../../lib/deadline.js';
import type { DocumentOutcome, Output, StoreResult } from '../../lib/contracts/output.js';
import { keyOf, type QueuedDoc } from './queue.js';

/**
 * One request round to an output: a slice of the queue goes out, and each document comes back
 * with what the output said of it. The deadline is on silence, not on the whole slice: as long as
 * the output answers for some document within `idleMs`, a long slice to a slow site goes on.
 */

export interface SliceOutcome {
  /** Per queued document: what the output said; absent = nothing (not sent, or the output stopped first). */
  outcomes: Map<string, DocumentOutcome>;
  /** The output told us document by document (else a resolved `store` confirms the whole slice). */
  reported: boolean;
  /** What `store` resolved with. */
  result?: StoreResult;
  /** What `store` threw, or the deadline. */
  error?: unknown;
}

export function idleTimeout(output: string, ms: number): GlucoHubError {
  return new GlucoHubError('DLQ003', `the ${output} output did not answer within ${Math.round(ms / 1000)} s; the documents are queued`, {
    hint: 'check that output; gluco-hub keeps retrying',
  });
}

export function sliceBatch(items: readonly QueuedDoc[]): Batch {
  const batch = emptyBatch();
  for (const item of items) (batch[item.collection] as NightscoutDocument[]).push(item.document);
  return batch;
}

export interface SliceOptions {
  idleMs: number;
  /** Aborting it aborts the slice's requests (stop, after a grace). */
  signal: AbortSignal;
}

export async function sendSlice(transport: Output, items: readonly QueuedDoc[], options: SliceOptions): Promise<SliceOutcome> {
  const outcomes = new Map<string, DocumentOutcome>();
  const out: SliceOutcome = { outcomes, reported: false };
  let closed = false;
  const deadline = withDeadline(options.signal, options.idleMs, () => idleTimeout(transport.name, options.idleMs));
  const known = new Set(items.map((i) => keyOf(i.collection, i.document)));
  try {
    const stored = transport.store(sliceBatch(items), deadline.signal, (collection, docs, outcome) => {
      // Answers after the deadline belong to a slice already settled: the documents stay queued and are resent (identifiers dedup).
      if (closed) return;
      out.reported = true;
      for (const doc of docs) {
        const key = keyOf(collection, doc);
        if (known.has(key)) outcomes.set(key, outcome);
      }
      deadline.restart();
    });
    const aborted = new Promise<never>((_, reject) => deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason as Error), { once: true }));
    out.result = await Promise.race([stored, aborted]);
  } catch (error) {
    out.error = error;
  } finally {
    closed = true;
    deadline.done();
  }
  return out;
}

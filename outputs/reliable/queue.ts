import { COLLECTIONS, emptyBatch, batchSize, type Batch, type Collection, type NightscoutDocument } from '../../lib/domain.js';

/**
 * The dead-letter queue's rules, pure: what failed is merged with what comes next, one document
 * per identifier (the newer copy wins), oldest first, and bounded — when full, the oldest go.
 */

function keyOf(doc: NightscoutDocument): string {
  return doc.identifier ?? `${doc.date}`;
}

export function merge(queued: Batch, incoming: Batch): Batch {
  const out = emptyBatch();
  for (const collection of COLLECTIONS) {
    const byKey = new Map<string, NightscoutDocument>();
    for (const doc of [...queued[collection], ...incoming[collection]] as NightscoutDocument[]) byKey.set(keyOf(doc), doc);
    (out[collection] as NightscoutDocument[]) = [...byKey.values()].sort((a, b) => a.date - b.date);
  }
  return out;
}

export interface Bounded {
  kept: Batch;
  evicted: number;
}

/** Keeps the newest `maxEntries` documents across collections; the oldest are evicted first. */
export function bound(batch: Batch, maxEntries: number): Bounded {
  const total = batchSize(batch);
  if (total <= maxEntries) return { kept: batch, evicted: 0 };
  const all: { collection: Collection; doc: NightscoutDocument }[] = [];
  for (const collection of COLLECTIONS) for (const doc of batch[collection] as NightscoutDocument[]) all.push({ collection, doc });
  all.sort((a, b) => a.doc.date - b.doc.date);
  const kept = emptyBatch();
  for (const { collection, doc } of all.slice(total - maxEntries)) (kept[collection] as NightscoutDocument[]).push(doc);
  return { kept, evicted: total - maxEntries };
}

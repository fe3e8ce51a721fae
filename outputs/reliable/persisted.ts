import { z } from 'zod';
import { COLLECTIONS, collectionSchema, emptyBatch, type Batch, type NightscoutDocument } from '../../lib/domain.js';
import { routerStateSchema } from './router.js';

/** Keys in the bridge's state store, one pair per output. */
export function stateKeys(output: string): { router: string; queue: string } {
  return { router: `output-${output}-router`, queue: `output-${output}-queue` };
}

export { routerStateSchema };

/** One queued document per line: `{"collection":"entries","document":{…}}`, oldest first. */
const queueLineSchema = z.object({ collection: collectionSchema, document: z.looseObject({ date: z.number(), device: z.string() }) });

export function queueLines(batch: Batch): unknown[] {
  return COLLECTIONS.flatMap((collection) => (batch[collection] as NightscoutDocument[]).map((document) => ({ collection, document })));
}

/** Lines back into a batch; a line of the wrong shape (a hand edit, an older version) is left out. */
export function queueFromLines(lines: readonly unknown[]): { batch: Batch; skipped: number } {
  const batch = emptyBatch();
  let skipped = 0;
  for (const line of lines) {
    const parsed = queueLineSchema.safeParse(line);
    if (!parsed.success) {
      skipped += 1;
      continue;
    }
    (batch[parsed.data.collection] as unknown[]).push(parsed.data.document);
  }
  return { batch, skipped };
}

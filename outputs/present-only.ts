import { COLLECTIONS, emptyBatch, type NightscoutDocument } from '../lib/domain.js';
import { isFuture } from '../lib/future.js';
import type { Output } from '../lib/contracts/output.js';

/**
 * A bare output (`capture --persist`) never stores a document dated in the future: `forever`'s
 * dead-letter queue holds such a document until its time, a one-off capture has no queue, so it
 * leaves it out and says how many (`held`); the frame's DLQ004 warning names them.
 */
export function presentOnly(output: Output, now: () => number): Output {
  return {
    name: output.name,
    ...(output.newestFirst ? { newestFirst: output.newestFirst } : {}),
    start: () => output.start(),
    stop: () => output.stop(),
    newest: (signal) => output.newest(signal),
    async store(batch, signal, progress) {
      const nowMs = now();
      const present = emptyBatch();
      let held = 0;
      for (const collection of COLLECTIONS) {
        for (const doc of batch[collection] as NightscoutDocument[]) {
          if (isFuture(doc.date, nowMs)) held += 1;
          else (present[collection] as NightscoutDocument[]).push(doc);
        }
      }
      const result = await output.store(present, signal, progress);
      return held > 0 ? { ...result, held } : result;
    },
  };
}

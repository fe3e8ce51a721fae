import { z } from 'zod';
import { collectionSchema, type NightscoutDocument } from '../../lib/domain.js';
import type { QueuedDoc } from './queue.js';
import { routerStateSchema } from './router.js';

/** Keys in the bridge's state store, one set per output. */
export function stateKeys(output: string): { router: string; queue: string; rejected: string } {
  return { router: `output-${output}-router`, queue: `output-${output}-queue`, rejected: `output-${output}-rejected` };
}

export { routerStateSchema };

const documentSchema = z.looseObject({ date: z.number(), device: z.string() });

/**
 * One queued document per line: `{"collection":"entries","document":{…}}`, plus its own failure
 * count once it failed alone. Lines of earlier versions (without the count) read as never failed.
 */
const queueLineSchema = z.object({
  collection: collectionSchema,
  document: documentSchema,
  attempts: z.number().int().min(0).optional(),
  firstFailedMs: z.number().optional(),
  retryAtMs: z.number().optional(),
  lastError: z.string().optional(),
});

export function queueLine(item: QueuedDoc): unknown {
  const { collection, document, attempts, firstFailedMs, retryAtMs, lastError } = item;
  return attempts === 0 ? { collection, document } : { collection, document, attempts, firstFailedMs, retryAtMs, lastError };
}

/** Lines back into queue items; a line of the wrong shape (a hand edit) is left out and counted. */
export function queueFromLines(lines: readonly unknown[]): { items: QueuedDoc[]; skipped: number } {
  const items: QueuedDoc[] = [];
  let skipped = 0;
  for (const line of lines) {
    const parsed = queueLineSchema.safeParse(line);
    if (!parsed.success) {
      skipped += 1;
      continue;
    }
    const { collection, document, attempts, firstFailedMs, retryAtMs, lastError } = parsed.data;
    items.push({ collection, document: document as NightscoutDocument, attempts: attempts ?? 0, firstFailedMs, retryAtMs, lastError });
  }
  return { items, skipped };
}

/**
 * A document an output will not take, kept for a person (`gluco-hub dlq list|retry|drop`): what it
 * was, when and why it was set aside, and the target's answer.
 */
export const rejectedLineSchema = z.object({
  collection: collectionSchema,
  document: documentSchema,
  /** ISO time it was set aside. */
  rejectedAt: z.string(),
  /** The code of the error that set it aside (`NS012`, `DLQ005`, `DLQ007`, …). */
  code: z.string(),
  /** The target's answer or why gluco-hub would not send it, secret-free. */
  reason: z.string(),
  attempts: z.number().int().min(0),
});
export type RejectedLine = z.infer<typeof rejectedLineSchema>;

export function rejectedFromLines(lines: readonly unknown[]): { items: RejectedLine[]; skipped: number } {
  const items: RejectedLine[] = [];
  let skipped = 0;
  for (const line of lines) {
    const parsed = rejectedLineSchema.safeParse(line);
    if (parsed.success) items.push(parsed.data);
    else skipped += 1;
  }
  return { items, skipped };
}

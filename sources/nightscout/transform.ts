import { emptyBatch, type Batch, type Collection, type NightscoutDocument } from '../../lib/domain.js';
import type { FetchWindow } from '../../lib/contracts/source.js';
import { toDocument } from './document.js';
import { nssError } from './errors.js';
import { firstIssue, readAnswerSchema } from './wire.js';

/**
 * The documents of one read → a batch (pure). One bad document is skipped and reported, not
 * allowed to fail the frame: a frame that fails on it would fail again on every poll, and the
 * good readings around it would never arrive. An answer that is not a read at all is a
 * TransformError (NSS001).
 */

export interface Skipped {
  /** The source's `_id` / `identifier`, for finding it there. */
  key: string;
  reason: string;
}

export interface TransformReport {
  collection: Collection;
  batch: Batch;
  skipped: Skipped[];
  /** Field path → how many documents lost it. */
  dropped: Map<string, number>;
  /** Soft-deleted (`isValid: false`) documents, not passed on. */
  deleted: number;
  /** Documents with the identity of one already in the batch. */
  duplicates: number;
  /** Documents whose own date falls outside the window (found by `created_at` or a tie). */
  outside: number;
}

function keyOf(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '?';
  const { _id: id, identifier } = value as Record<string, unknown>;
  if (typeof id === 'string') return id;
  return typeof identifier === 'string' ? identifier : '?';
}

export function transformAnswer(raw: unknown, window: FetchWindow, fallbackDevice: string): TransformReport {
  const parsed = readAnswerSchema.safeParse(raw);
  if (!parsed.success) {
    throw nssError('NSS001', { params: { what: 'a read', collection: 'Nightscout documents', reason: firstIssue(parsed.error) } });
  }
  const { collection, documents } = parsed.data;
  const report: TransformReport = { collection, batch: emptyBatch(), skipped: [], dropped: new Map(), deleted: 0, duplicates: 0, outside: 0 };
  const byIdentifier = new Map<string, NightscoutDocument>();
  for (const value of documents) {
    const outcome = toDocument(collection, value, fallbackDevice);
    if (outcome.kind === 'deleted') {
      report.deleted += 1;
      continue;
    }
    if (outcome.kind === 'skipped') {
      report.skipped.push({ key: keyOf(value), reason: outcome.reason });
      continue;
    }
    const { doc, dropped } = outcome;
    // The window is the contract: a document dated after `toMs` would move the outputs' newest
    // date ahead of documents not read yet, and gap analysis would never ask for them.
    if (doc.date <= window.fromMs || doc.date > window.toMs) {
      report.outside += 1;
      continue;
    }
    if (byIdentifier.has(doc.identifier)) {
      report.duplicates += 1;
      continue;
    }
    byIdentifier.set(doc.identifier, doc);
    for (const field of dropped) report.dropped.set(field, (report.dropped.get(field) ?? 0) + 1);
  }
  // Every document was validated by `collection`'s own schema in toDocument.
  const docs: NightscoutDocument[] = report.batch[collection];
  docs.push(...[...byIdentifier.values()].sort((a, b) => a.date - b.date));
  return report;
}

import { deviceStatusSchema, entrySchema, treatmentSchema, type Collection, type NightscoutDocument } from '../../lib/domain.js';
import { syncIdentifier } from '../../lib/identity.js';
import { APP_NAME } from '../../lib/version.js';

/**
 * Documents as we send them to Nightscout, whichever API: what we own travels untouched, what the
 * server manages never does (on a dedup hit v3 answers 400 for any of them that differs, and it
 * stores a string `_id` as the Mongo `_id`), and the fields each API needs are present.
 *
 * The sources' transforms already build documents; this second pass is still needed, because an
 * output takes any batch, not only a fresh transform's: a Nightscout source keeps its site's
 * `created_at`/`dateString`, documents queued on disk by an earlier version come back as written,
 * and a source may leave `utcOffset` out. v1 dedups on `created_at`/`dateString`, not on `date`,
 * so they are rewritten from `date` here (test/outputs/nightscout.v1 and .v3 fail without it).
 */

/** Fields the server sets; a document copied from another Nightscout may carry them. */
const SERVER_MANAGED = ['_id', 'srvCreated', 'srvModified', 'subject', 'modifiedBy', 'mills'] as const;

const SCHEMAS = { entries: entrySchema, treatments: treatmentSchema, devicestatus: deviceStatusSchema } as const;

export type Prepared = { ok: true; doc: NightscoutDocument } | { ok: false; reason: string };

function isoOf(date: unknown): string | undefined {
  if (typeof date !== 'number' || !Number.isFinite(date)) return undefined;
  const d = new Date(date);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * The document to send: server-managed fields dropped; `app` (default `gluco-hub`), `utcOffset`
 * (0) and `identifier` (the one v3 would compute) filled in when absent; `dateString` (entries)
 * or `created_at` (treatments, devicestatus) rewritten from `date`, because v1 keys its dedup on
 * them and ignores `date` for treatments, and v3 rewrites `created_at` from `date` anyway.
 */
export function prepareDocument(collection: Collection, input: Readonly<Record<string, unknown>>): Prepared {
  const doc: Record<string, unknown> = { ...input };
  for (const field of SERVER_MANAGED) delete doc[field];
  doc.app ??= APP_NAME;
  doc.utcOffset ??= 0;
  const iso = isoOf(doc.date);
  if (iso !== undefined) {
    if (collection === 'entries') doc.dateString = iso;
    else doc.created_at = iso;
  }
  if (doc.identifier === undefined && typeof doc.device === 'string' && typeof doc.date === 'number') {
    const eventType = typeof doc.eventType === 'string' ? doc.eventType : undefined;
    doc.identifier = syncIdentifier({ device: doc.device, date: doc.date, eventType });
  }
  const parsed = SCHEMAS[collection].safeParse(doc);
  if (parsed.success) return { ok: true, doc: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, reason: `${where}${issue?.message ?? 'invalid'}` };
}

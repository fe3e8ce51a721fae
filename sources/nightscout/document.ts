import { z } from 'zod';
import { deviceStatusSchema, entrySchema, treatmentSchema, type Batch, type Collection } from '../../lib/domain.js';
import { syncIdentifier } from '../../lib/identity.js';
import { APP_NAME } from '../../lib/version.js';

/**
 * One document of the source site → the document gluco-hub passes on (pure). Copying between
 * Nightscout sites must drop what the source server manages: on insert a target stores unknown
 * fields verbatim, and on a dedup hit any differing immutable one (`srvCreated`, `subject`, …)
 * is a 400. The identity must be the one the target computes itself.
 */

/** `device` for documents that have none; part of their sync identity, so it never changes. */
export const NSS_DEVICE = 'nightscout';

/** Server-managed or runtime fields. `isValid` goes too: `false` means deleted, `true` is immutable on a target. */
const SERVER_FIELDS = ['_id', 'srvCreated', 'srvModified', 'subject', 'modifiedBy', 'mills', 'isValid'] as const;

/** Numbers an uploader may have written as strings (v3 stores bodies without coercion). */
const NUMERIC_FIELDS: Record<Collection, readonly string[]> = {
  entries: ['sgv', 'mbg', 'noise', 'delta', 'trend', 'utcOffset', 'filtered', 'unfiltered', 'rssi'],
  treatments: ['insulin', 'carbs', 'duration', 'absolute', 'percent', 'utcOffset'],
  devicestatus: ['uploaderBattery', 'utcOffset'],
};

/** Without these a document is not worth passing on; any other unreadable field is dropped instead. */
const REQUIRED_FIELDS: Record<Collection, ReadonlySet<string>> = {
  entries: new Set(['date', 'device', 'identifier', 'type', 'dateString']),
  treatments: new Set(['date', 'device', 'identifier', 'eventType', 'created_at']),
  devicestatus: new Set(['date', 'device', 'identifier', 'created_at']),
};

const SCHEMAS = { entries: entrySchema, treatments: treatmentSchema, devicestatus: deviceStatusSchema } as const;

const uuid = z.uuid();

export type DocumentOf<C extends Collection> = Batch[C][number];

export type DocumentOutcome<C extends Collection> =
  | { kind: 'document'; doc: DocumentOf<C>; dropped: string[] }
  | { kind: 'deleted' }
  | { kind: 'skipped'; reason: string };

/** Nightscout v3 reads numbers before 2000-01-01 as epoch seconds; so do we, to agree on identity. */
const SECONDS_BEFORE_MS = 946_684_800_000;

function parseDate(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    return value < SECONDS_BEFORE_MS ? value * 1000 : value;
  }
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\s*-?\d+(\.\d+)?\s*$/.test(value)) return parseDate(Number(value));
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `date`, else the time fields v1 documents carry instead (`created_at`; for entries `dateString`, `sysTime`). */
function documentDate(collection: Collection, doc: Record<string, unknown>): number | undefined {
  const fallbacks = collection === 'entries' ? [doc.dateString, doc.sysTime] : [doc.created_at];
  for (const value of [doc.date, ...fallbacks]) {
    const ms = parseDate(value);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

function cleaned(collection: Collection, source: Record<string, unknown>): Record<string, unknown> {
  const doc = structuredClone(source);
  for (const field of SERVER_FIELDS) delete doc[field];
  // v1 answers `insulin: null` for a treatment without insulin; absent and null mean the same.
  for (const [key, value] of Object.entries(doc)) if (value === null) delete doc[key];
  for (const field of NUMERIC_FIELDS[collection]) {
    const value = doc[field];
    if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) doc[field] = Number(value);
  }
  return doc;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function deleteAt(doc: Record<string, unknown>, path: readonly PropertyKey[]): void {
  let node: unknown = doc;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  const last = path[path.length - 1];
  if (typeof node === 'object' && node !== null && last !== undefined) delete (node as Record<PropertyKey, unknown>)[last];
}

function issueText(issue: z.core.$ZodIssue): string {
  return `${issue.path.join('.') || '(document)'}: ${issue.message}`;
}

/** Validates; an unreadable optional field (an unknown `direction`, …) is dropped so the reading is kept. */
function validated<C extends Collection>(collection: C, doc: Record<string, unknown>): DocumentOutcome<C> {
  const schema = SCHEMAS[collection];
  let parsed = schema.safeParse(doc);
  if (parsed.success) return { kind: 'document', doc: parsed.data, dropped: [] };
  const required = parsed.error.issues.find((issue) => issue.path.length === 0 || REQUIRED_FIELDS[collection].has(String(issue.path[0])));
  if (required) return { kind: 'skipped', reason: issueText(required) };
  const dropped = parsed.error.issues.map((issue) => issue.path.join('.'));
  for (const issue of parsed.error.issues) deleteAt(doc, issue.path);
  parsed = schema.safeParse(doc);
  if (!parsed.success) return { kind: 'skipped', reason: issueText(parsed.error.issues[0]!) };
  return { kind: 'document', doc: parsed.data, dropped };
}

/**
 * The source's `identifier` is kept when it is a UUID (a v3 identity: the target dedups against
 * the same one); v3 answers the `_id` hex as `identifier` for v1 documents, which is no identity
 * elsewhere, so those get the UUIDv5 Nightscout itself would compute.
 */
export function toDocument<C extends Collection>(collection: C, value: unknown, fallbackDevice: string): DocumentOutcome<C> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'skipped', reason: 'not an object' };
  const source = value as Record<string, unknown>;
  if (source.isValid === false) return { kind: 'deleted' };
  const doc = cleaned(collection, source);
  const date = documentDate(collection, doc);
  if (date === undefined) return { kind: 'skipped', reason: 'no readable date' };
  const device = nonEmpty(doc.device) ? doc.device : fallbackDevice;
  doc.date = date;
  doc.device = device;
  if (collection === 'entries' && typeof doc.dateString !== 'string') doc.dateString = new Date(date).toISOString();
  if (collection !== 'entries' && typeof doc.created_at !== 'string') doc.created_at = new Date(date).toISOString();
  // v1 uploads may have no `app`; a present one is immutable on v3 targets, so it is kept.
  if (!nonEmpty(doc.app)) doc.app = APP_NAME;
  if (!uuid.safeParse(doc.identifier).success) {
    const eventType = typeof doc.eventType === 'string' ? doc.eventType : undefined;
    doc.identifier = syncIdentifier({ device, date, eventType });
  }
  return validated(collection, doc);
}

import type { Collection, NewestDates, NightscoutDocument } from '../../lib/domain.js';
import type { SandboxData, SandboxDoc } from '../../lib/nightscout/plugin-ctx.js';
import { isFuture } from '../../lib/future.js';
import { msOf } from '../../lib/time.js';

/**
 * Gap analysis from the site's own data: the newest time per collection in the sandbox
 * Nightscout hands every `data-processed` listener. A date ahead of the clock (a device set
 * wrong) is not "newest": it would hide every real reading until that time.
 */

/** `mills` as Nightscout's loader sets it, else `date`, else `created_at`. */
export function docMs(doc: SandboxDoc): number | undefined {
  return msOf(doc.mills) ?? msOf(doc.date) ?? msOf(doc.created_at);
}

export function newestMs(docs: readonly SandboxDoc[], nowMs: number, keep: (doc: SandboxDoc) => boolean = () => true): number | undefined {
  let newest: number | undefined;
  for (const doc of docs) {
    const ms = docMs(doc);
    if (ms === undefined || isFuture(ms, nowMs) || !keep(doc)) continue;
    if (newest === undefined || ms > newest) newest = ms;
  }
  return newest;
}

export function sandboxNewest(data: SandboxData, nowMs: number): NewestDates {
  const newest: NewestDates = {};
  const entries = newestMs(data.sgvs, nowMs);
  const treatments = newestMs(data.treatments, nowMs);
  const devicestatus = newestMs(data.devicestatus, nowMs);
  if (entries !== undefined) newest.entries = entries;
  if (treatments !== undefined) newest.treatments = treatments;
  if (devicestatus !== undefined) newest.devicestatus = devicestatus;
  return newest;
}

/**
 * What the site already holds, by the keys its storage upserts on, so the plugin writes only what
 * is missing: an sgv at the same time, a treatment with the same identifier or the same
 * `created_at` + `eventType`, a devicestatus with the same identifier.
 */
export interface OnSite {
  has(collection: Collection, doc: NightscoutDocument): boolean;
}

function treatmentKey(createdAt: unknown, eventType: unknown): string | undefined {
  const ms = msOf(createdAt);
  return ms === undefined || typeof eventType !== 'string' ? undefined : `${ms}|${eventType}`;
}

export function onSite(data: SandboxData): OnSite {
  const sgvTimes = new Set(data.sgvs.map(docMs).filter((ms): ms is number => ms !== undefined));
  const ids = (docs: readonly SandboxDoc[]): Set<unknown> => new Set(docs.map((d) => d.identifier).filter((id) => typeof id === 'string'));
  const treatmentIds = ids(data.treatments);
  const treatmentKeys = new Set(data.treatments.map((d) => treatmentKey(d.created_at, d.eventType)).filter((k) => k !== undefined));
  const statusIds = ids(data.devicestatus);
  return {
    has(collection, doc) {
      if (collection === 'entries') return doc.type === 'sgv' && sgvTimes.has(doc.date);
      if (collection === 'devicestatus') return statusIds.has(doc.identifier);
      return treatmentIds.has(doc.identifier) || treatmentKeys.has(treatmentKey(doc.created_at, doc.eventType) ?? '');
    },
  };
}

/**
 * 15.0.7's `normalizeTreatmentDuration`, run by every v3 replace (a dedup POST, a PUT of an existing
 * document) and PATCH, for every collection: with a `duration` (minutes) or `durationInMilliseconds`
 * and no `endmills`, `endmills` = start + duration; a valid `endmills` then sets
 * `durationInMilliseconds` and `duration` from it. The start is `mills`, else `created_at`, else `date`
 * (the document's, then the stored one's).
 */

type Rec = Record<string, unknown>;

const has = (obj: Rec | undefined, field: string): boolean => obj !== undefined && Object.prototype.hasOwnProperty.call(obj, field);

function toMills(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() === '') return null;
  const numeric = Number(value);
  if (Number.isFinite(numeric)) return numeric;
  const ms = new Date(value as string).getTime();
  return Number.isFinite(ms) ? ms : null;
}

function baseMills(doc: Rec, fallback?: Rec): number | null {
  return toMills(doc.mills) ?? toMills(fallback?.mills) ?? toMills(doc.created_at) ?? toMills(doc.date) ?? toMills(fallback?.created_at) ?? toMills(fallback?.date);
}

export function normalizeTreatmentDuration(doc: Rec, fallback?: Rec): void {
  const base = baseMills(doc, fallback);
  if ((!has(doc, 'endmills') || doc.endmills === null || doc.endmills === undefined) && base !== null) {
    const source = has(doc, 'durationInMilliseconds') || has(doc, 'duration') ? doc : fallback;
    if (has(source, 'durationInMilliseconds')) {
      const ms = Number(source!.durationInMilliseconds) || 0;
      if (ms > 0) doc.endmills = base + ms;
    } else if (has(source, 'duration')) {
      doc.endmills = base + (Number(source!.duration) || 0) * 60_000;
    }
  }
  const end = has(doc, 'endmills') ? Number(doc.endmills) : NaN;
  if (base !== null && Number.isFinite(end) && end >= base) {
    doc.durationInMilliseconds = end - base;
    doc.duration = Math.round((end - base) / 60_000);
  }
}

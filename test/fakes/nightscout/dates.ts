/**
 * Date parsing as Nightscout does it with moment.js, for a server whose local zone is UTC (as in
 * Docker): numeric input therefore gets utcOffset 0. Only the forms clients actually send are
 * covered: epoch ms / s, numeric strings, ISO 8601 (basic and extended) and RFC 2822.
 */

/** `MIN_TIMESTAMP` of API v3: 2000-01-01T00:00:00Z. */
export const MIN_TIMESTAMP = 946684800000;

export interface ParsedDate {
  ms: number;
  /** Offset of the source zone in minutes (moment's `utcOffset()`). */
  offset: number;
}

const ISO =
  /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const RFC2822 =
  /^(?:(?:mon|tue|wed|thu|fri|sat|sun),?\s+)?(\d{1,2})\s+([a-z]{3})\s+(\d{2,4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s+(ut|gmt|z|[ecmp][sd]t|[+-]\d{4})$/i;
const RFC_ZONES: Record<string, number> = { ut: 0, gmt: 0, z: 0, edt: -240, est: -300, cdt: -300, cst: -360, mdt: -360, mst: -420, pdt: -420, pst: -480 };

function zoneMinutes(zone: string): number {
  if (/^z$/i.test(zone)) return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes);
}

function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | null {
  if (mo < 1 || mo > 12 || d < 1 || h > 24 || mi > 59 || s > 59) return null;
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (d > daysInMonth) return null;
  if (h === 24 && (mi > 0 || s > 0 || ms > 0)) return null;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

/** `moment.parseZone(value, moment.ISO_8601)`; no zone in the string means UTC. */
export function parseIso(value: string): ParsedDate | null {
  const m = ISO.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  const local = utcMs(Number(y), Number(mo), Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), ms);
  if (local === null) return null;
  const offset = zone ? zoneMinutes(zone) : 0;
  return { ms: local - offset * 60_000, offset };
}

/** `moment.parseZone(value, moment.RFC_2822)`. */
export function parseRfc2822(value: string): ParsedDate | null {
  const m = RFC2822.exec(value.trim());
  if (!m) return null;
  const [, d, mon, y, h, mi, s, zone] = m;
  const month = MONTHS.indexOf(mon!.toLowerCase());
  if (month < 0) return null;
  let year = Number(y);
  if (y!.length === 2) year += year < 50 ? 2000 : 1900;
  const local = utcMs(year, month + 1, Number(d), Number(h), Number(mi), Number(s ?? 0), 0);
  if (local === null) return null;
  const z = zone!.toLowerCase();
  const offset = z in RFC_ZONES ? RFC_ZONES[z]! : zoneMinutes(z);
  return { ms: local - offset * 60_000, offset };
}

/** `stringTools.isNumberInString`: `!isNaN(parseFloat(str)) && isFinite(str)`. */
export function isNumberInString(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'string') return false;
  return !Number.isNaN(parseFloat(value)) && Number.isFinite(Number(value));
}

/**
 * API v3 `dateTools.parseToMoment`: first parseable value of an array, numbers below 2000-01-01
 * taken as epoch seconds, anything before 2000 rejected.
 */
export function parseV3Date(value: unknown): ParsedDate | null {
  if (!value) return null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const parsed = parseV3Date(item);
      if (parsed !== null) return parsed;
    }
    return null;
  }
  let v: unknown = value;
  if (typeof v === 'string' && isNumberInString(v)) v = parseFloat(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    let ms = Math.trunc(v);
    if (ms < MIN_TIMESTAMP) ms = Math.trunc(ms * 1000);
    if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15 || ms < MIN_TIMESTAMP) return null;
    return { ms, offset: 0 };
  }
  if (typeof v === 'string') {
    const parsed = parseIso(v) ?? parseRfc2822(v);
    if (parsed === null || parsed.ms < MIN_TIMESTAMP) return null;
    return parsed;
  }
  return null;
}

/**
 * API v1 `moment(x).isValid() ? moment.parseZone(x) : …`: numbers are epoch ms, strings ISO,
 * RFC 2822, or whatever `Date` understands (moment's deprecated fallback), zone kept when given.
 */
export function parseV1Date(value: unknown): ParsedDate | null {
  if (typeof value === 'number') return Number.isFinite(value) && Math.abs(value) <= 8.64e15 ? { ms: Math.trunc(value), offset: 0 } : null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : { ms: value.getTime(), offset: 0 };
  if (typeof value !== 'string') return null;
  const parsed = parseIso(value) ?? parseRfc2822(value);
  if (parsed) return parsed;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : { ms, offset: 0 };
}

export const isoUtc = (ms: number): string => new Date(ms).toISOString();

export const httpDate = (ms: number): string => new Date(ms).toUTCString();

/** `dateTools.floorSeconds`. */
export const floorSeconds = (ms: number): number => ms - (((ms % 1000) + 1000) % 1000);

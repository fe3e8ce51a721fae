/**
 * Glooko's `Z` timestamps are the device's local wall clock labelled as UTC.
 * A `Zone` turns such a wall time into a real instant and back. An IANA zone follows daylight
 * saving; a fixed offset (nightscout-connect's CONNECT_GLOOKO_TIMEZONE_OFFSET) does not.
 */

export type Zone = { kind: 'iana'; name: string } | { kind: 'fixed'; minutes: number };

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(name: string): Intl.DateTimeFormat {
  let f = formatters.get(name);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(name, f);
  }
  return f;
}

/** True for a zone name this Node knows (IANA, e.g. `Europe/Berlin`, or `UTC`). */
export function isIanaZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** Minutes east of UTC in `zone` at the instant `ms`. */
export function offsetAt(zone: Zone, ms: number): number {
  if (zone.kind === 'fixed') return zone.minutes;
  const parts: Record<string, number> = {};
  for (const p of formatter(zone.name).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day, parts.hour, parts.minute, parts.second);
  // Whole seconds: the formatter drops the milliseconds.
  return Math.round((wall - (ms - (((ms % 1000) + 1000) % 1000))) / MINUTE_MS);
}

/**
 * A wall-clock time (`wallMs` = the fake-UTC epoch Glooko sends) → the real instant and its offset.
 * Around a clock change: a wall time that happened twice (autumn) is the first one unless `hint`
 * (the record's own offset, in minutes) names the second; one that never happened (spring) is read
 * with the offset from before the change, i.e. moved forward by the gap, as the device showed it.
 */
export interface Instant {
  ms: number;
  /** Minutes east of UTC at `ms`. */
  utcOffset: number;
  /** In the repeated autumn hour: the second time the wall clock showed this (when `ms` is the first). */
  second?: { ms: number; utcOffset: number };
}

export function wallToUtc(zone: Zone, wallMs: number, hint?: number): Instant {
  if (zone.kind === 'fixed') return { ms: wallMs - zone.minutes * MINUTE_MS, utcOffset: zone.minutes };
  const before = offsetAt(zone, wallMs - DAY_MS);
  const after = offsetAt(zone, wallMs + DAY_MS);
  const valid = [...new Set([before, after])].filter((o) => offsetAt(zone, wallMs - o * MINUTE_MS) === o);
  if (valid.length === 0) return { ms: wallMs - before * MINUTE_MS, utcOffset: before };
  const first = Math.max(...valid);
  const second = Math.min(...valid);
  const chosen = hint !== undefined && valid.includes(hint) ? hint : first;
  return {
    ms: wallMs - chosen * MINUTE_MS,
    utcOffset: chosen,
    ...(chosen === first && second !== first ? { second: { ms: wallMs - second * MINUTE_MS, utcOffset: second } } : {}),
  };
}

/** A real instant → the fake-UTC wall-clock epoch Glooko expects in `startDate`/`endDate`. */
export function utcToWall(zone: Zone, ms: number): number {
  return ms + offsetAt(zone, ms) * MINUTE_MS;
}

/** `+01:00`, `-0530`, `Z` → minutes east of UTC; anything else → undefined. */
export function parseOffset(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const t = text.trim();
  if (t === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(t);
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[3]) > 59 || minutes > 14 * 60) return undefined;
  return m[1] === '-' ? -minutes : minutes;
}

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A Glooko time → real instant. `Z` or no suffix = the wall clock in `zone`; an explicit other
 * offset is real and respected. `hint` disambiguates the repeated autumn hour. Undefined if unreadable.
 */
export function glookoInstant(zone: Zone, text: string, hint?: number): Instant | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const wall = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(wall)) return undefined;
  const suffix = m[2];
  if (suffix !== undefined && suffix !== 'Z') {
    const offset = parseOffset(suffix);
    if (offset === undefined) return undefined;
    return { ms: wall - offset * MINUTE_MS, utcOffset: offset };
  }
  return wallToUtc(zone, wall, hint);
}

/** A wall-clock epoch as Glooko writes it: ISO with a (fake) `Z`. */
export function wallIso(wallMs: number): string {
  return new Date(wallMs).toISOString();
}

import { clError } from './errors.js';

/**
 * CareLink times are the pump's local wall clock: `"Nov 22, 2026 11:15:00"`
 * or ISO strings whose `Z` / offset cannot be trusted. The pump's offset from UTC is guessed from
 * its clock against the server's, rounded to 15 minutes so +05:30 and +05:45 zones come out right
 * (rounding to hours, as minimed-connect did, puts India half an hour off).
 */

export const OFFSET_STEP_MS = 15 * 60_000;
/** Real zones lie within UTC−12 … UTC+14; a larger offset is a pump clock set wrong. */
const MAX_ZONE_MS = 14 * 60 * 60_000;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?/;
const OLD = /^([A-Za-z]{3})[a-z]* (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)?$/i;

/** The wall-clock fields of `text` as if they were UTC; any zone suffix is ignored. */
export function wallClockMs(text: string): number | undefined {
  const iso = ISO.exec(text.trim());
  if (iso) {
    const [, y, mo, d, h, mi, s] = iso;
    return utc(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  }
  const old = OLD.exec(text.trim());
  if (!old) return undefined;
  const [, mon, d, y, h, mi, s, ampm] = old;
  const month = MONTHS.indexOf(mon!.toLowerCase());
  if (month < 0) return undefined;
  let hour = Number(h);
  if (ampm) hour = (hour % 12) + (ampm.toUpperCase() === 'PM' ? 12 : 0);
  return utc(Number(y), month, Number(d), hour, Number(mi), Number(s ?? 0));
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number): number | undefined {
  if (mo < 0 || mo > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  return Date.UTC(y, mo, d, h, mi, s);
}

export interface PumpClock {
  /** Pump wall clock minus UTC, when it could be guessed. */
  offsetMs: number | undefined;
  /** `utcOffset` for documents (minutes east of UTC): only when the offset is a real zone. */
  zoneMinutes: number | undefined;
  /** A CareLink time string → epoch ms UTC. Throws CL022. */
  toUtc(text: string): number;
}

/** `round((device − server) / 15 min) · 15 min`; undefined without both. */
export function guessOffsetMs(deviceTime: string | undefined, serverMs: number | undefined): number | undefined {
  if (deviceTime === undefined || serverMs === undefined) return undefined;
  const wall = wallClockMs(deviceTime);
  if (wall === undefined) return undefined;
  return Math.round((wall - serverMs) / OFFSET_STEP_MS) * OFFSET_STEP_MS;
}

export function pumpClock(deviceTime: string | undefined, serverMs: number | undefined): PumpClock {
  const offsetMs = guessOffsetMs(deviceTime, serverMs);
  const zoneMinutes = offsetMs !== undefined && Math.abs(offsetMs) <= MAX_ZONE_MS ? offsetMs / 60_000 : undefined;
  return {
    offsetMs,
    zoneMinutes,
    toUtc(text) {
      const wall = wallClockMs(text);
      // Without a pump clock to compare with, a zone the string carries is the best there is.
      const ms = offsetMs !== undefined && wall !== undefined ? wall - offsetMs : Date.parse(text);
      if (!Number.isFinite(ms)) throw clError('CL022', { params: { value: text.slice(0, 40) } });
      return ms;
    },
  };
}

import type { Direction } from './domain.js';
import { ARROWS } from './arrows.js';
import { toMmol } from './units.js';

/** What a person reads glucose in; `both` for `capture --units both`. */
export type ShownUnit = 'mgdl' | 'mmol' | 'both';

/** `162 mg/dL`, `9.0 mmol/L`, or `162 mg/dL (9.0 mmol/L)`. */
export function formatGlucose(mgdl: number, unit: ShownUnit): string {
  const mmol = `${toMmol(mgdl).toFixed(1)} mmol/L`;
  if (unit === 'mmol') return mmol;
  return unit === 'both' ? `${mgdl} mg/dL (${mmol})` : `${mgdl} mg/dL`;
}

/** Nightscout's arrow for a direction; none when the source sent none. */
export function arrowOf(direction: Direction | undefined): string | undefined {
  return direction === undefined ? undefined : ARROWS[direction];
}

/** `just now`, `3 min ago`, `2 h 5 min ago`, `3 d ago`; a reading from the future is `just now`. */
export function formatAge(ageMs: number): string {
  const minutes = Math.floor(ageMs / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h ago` : `${hours} h ${minutes % 60} min ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

const DATE_TIME: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
const DAY_AND_CLOCK: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

function parts(ms: number, timeZone: string | undefined, options: Intl.DateTimeFormatOptions = DATE_TIME): Record<string, string> {
  const format = new Intl.DateTimeFormat('en-GB', { ...options, ...(timeZone ? { timeZone } : {}) });
  return Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
}

/** `14:05` in the local time zone (`TZ`, or the machine's), or in `timeZone`. */
export function localClock(ms: number, timeZone?: string): string {
  const p = parts(ms, timeZone);
  return `${p.hour}:${p.minute}`;
}

/** `2024-05-01 14:05` in the local time zone, or in `timeZone`. */
export function localDateTime(ms: number, timeZone?: string): string {
  const p = parts(ms, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** `23 Nov 10:00` in the local time zone, or in `timeZone`. */
export function localDayAndClock(ms: number, timeZone?: string): string {
  const p = parts(ms, timeZone, DAY_AND_CLOCK);
  return `${p.day} ${p.month} ${p.hour}:${p.minute}`;
}

/** The local zone's name, for a table header: `Europe/Berlin`, `UTC`. */
export function localZoneName(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The newest reading as a person reads it: `162 mg/dL → · 14:05, 3 min ago`. */
export function describeNewest(reading: { mgdl: number; direction?: Direction | undefined; date: number }, unit: ShownUnit, nowMs: number, timeZone?: string): string {
  const arrow = arrowOf(reading.direction);
  const value = arrow === undefined ? formatGlucose(reading.mgdl, unit) : `${formatGlucose(reading.mgdl, unit)} ${arrow}`;
  return `${value} · ${localClock(reading.date, timeZone)}, ${formatAge(nowMs - reading.date)}`;
}

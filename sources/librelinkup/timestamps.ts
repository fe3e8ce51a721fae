/**
 * LibreLink Up times: `M/D/YYYY h:mm:ss AM` (US order, 12-hour clock, no zero padding, no zone).
 * `FactoryTimestamp` is UTC, `Timestamp` the patient phone's wall clock.
 * Parsed by hand with Date.UTC: `new Date(string)` reads such strings in the host's time zone.
 */

const PATTERN = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AP]M))?$/i;

const MINUTE_MS = 60_000;
const OFFSET_STEP_MIN = 15;
/** Real zones lie within UTC−12 … UTC+14; anything else is a broken phone clock. */
const MAX_OFFSET_MIN = 14 * 60;

function hour24(hour: number, meridiem: string | undefined): number | undefined {
  if (meridiem === undefined) return hour <= 23 ? hour : undefined;
  if (hour < 1 || hour > 12) return undefined;
  const base = hour % 12;
  return meridiem.toUpperCase() === 'PM' ? base + 12 : base;
}

/**
 * Wall-clock text → epoch ms as if it were UTC; `undefined` for anything that is not a real date.
 * A 24-hour form without AM/PM is accepted too, in case a server locale ever drops it.
 */
export function parseLluTimestamp(text: string): number | undefined {
  const match = PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, month, day, year, hour, minute, second, meridiem] = match;
  const h = hour24(Number(hour), meridiem);
  const m = Number(minute);
  const s = second === undefined ? 0 : Number(second);
  if (h === undefined || m > 59 || s > 59) return undefined;
  const ms = Date.UTC(Number(year), Number(month) - 1, Number(day), h, m, s);
  const back = new Date(ms);
  // Date.UTC rolls 2/31 over to March; a date that does not survive the round trip is invalid.
  if (back.getUTCMonth() !== Number(month) - 1 || back.getUTCDate() !== Number(day)) return undefined;
  return ms;
}

/**
 * Minutes east of UTC from the phone's local time minus the UTC time, rounded to 15 minutes
 * (both stamps come from the same clock, but seconds can differ). `undefined` when implausible.
 */
export function utcOffsetMinutes(localMs: number, utcMs: number): number | undefined {
  const offset = Math.round((localMs - utcMs) / MINUTE_MS / OFFSET_STEP_MIN) * OFFSET_STEP_MIN;
  if (Math.abs(offset) > MAX_OFFSET_MIN) return undefined;
  return offset === 0 ? 0 : offset;
}

import { ConfigError } from '../lib/errors.js';

/** `2026-12-01`, `2026-12-01T08:00`, `2026-12-01 08:00:30`, `2026-12-01T07:00:00.000Z`, `2026-12-01T08:00+01:00`. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

const DAY_MS = 24 * 60 * 60_000;

export type Bound = 'from' | 'to';

function badDate(which: Bound, text: string): ConfigError {
  return new ConfigError('EXP001', `--${which} "${text}" is not a date`, {
    hint: 'use an ISO date (2026-12-01) or date and time (2026-12-01T08:00 local, 2026-12-01T07:00Z UTC, 2026-12-01T08:00+01:00)',
  });
}

/**
 * An ISO date or date-time as epoch ms. Without `Z` or an offset it is local time (`TZ`). A date
 * alone is the start of that local day for `--from` and its last millisecond for `--to`, so
 * `--from 2026-12-01 --to 2026-12-01` is that whole day.
 */
export function parseBound(which: Bound, text: string): number {
  const m = ISO.exec(text.trim());
  if (!m) throw badDate(which, text);
  const num = (i: number): number | undefined => (m[i] === undefined ? undefined : Number(m[i]));
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [num(4), num(5) ?? 0, num(6) ?? 0];
  const zone = m[8];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const valid = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && (hour ?? 0) <= 23 && minute <= 59 && second <= 59;
  if (!valid) throw badDate(which, text);
  if (hour === undefined) {
    const start = new Date(year, month - 1, day).getTime();
    return which === 'from' ? start : new Date(year, month - 1, day + 1).getTime() - 1;
  }
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  if (zone === undefined) return new Date(year, month - 1, day, hour, minute, second, ms).getTime();
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const pad = (v: number, n = 2) => String(v).padStart(n, '0');
  const parsed = Date.parse(`${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}.${pad(ms, 3)}${offset}`);
  if (Number.isNaN(parsed)) throw badDate(which, text);
  return parsed;
}

/** The span `--from`…`--to`, both inclusive: `--to` defaults to now, `--from` to `defaultDays` before `--to`. */
export function spanOf(from: string | undefined, to: string | undefined, nowMs: number, defaultDays: number): { fromMs: number; toMs: number } {
  const toMs = to === undefined ? nowMs : parseBound('to', to);
  const fromMs = from === undefined ? toMs - defaultDays * DAY_MS : parseBound('from', from);
  if (fromMs > toMs) {
    throw new ConfigError('EXP002', `--from ${new Date(fromMs).toISOString()} is after --to ${new Date(toMs).toISOString()}`, { hint: 'swap them, or leave --to out for "until now"' });
  }
  return { fromMs, toMs };
}

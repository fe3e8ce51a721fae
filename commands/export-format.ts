import type { StoredReading } from '../outputs/filesystem/read.js';
import { toMmol } from '../lib/units.js';

/**
 * The rows `gluco-hub export` writes, in CSV (RFC 4180, with a header), a JSON array or NDJSON.
 * Pure: readings in, text out, a day's worth at a time.
 */

/** The columns, in order; the JSON formats use the same names. */
/** The formats `export --format` offers. */
export type ExportFormat = 'csv' | 'json' | 'ndjson';

export const COLUMNS = ['local_time', 'utc', 'mgdl', 'mmol', 'trend', 'device'] as const;

export interface ExportRow {
  local_time: string;
  utc: string;
  mgdl: number;
  mmol: number;
  trend: string | null;
  device: string;
}

/** `2026-12-07 11:05:00` in `timeZone` (default: the local zone, `TZ`): what spreadsheets read as a date and time. */
export function localTimeFormatter(timeZone?: string): (ms: number) => string {
  const format = new Intl.DateTimeFormat('en-GB', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    ...(timeZone ? { timeZone } : {}),
  });
  return (ms) => {
    const p: Record<string, string> = {};
    for (const part of format.formatToParts(ms)) p[part.type] = part.value;
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
  };
}

export function rowOf(reading: StoredReading, localTime: (ms: number) => string): ExportRow {
  return {
    local_time: localTime(reading.date),
    utc: new Date(reading.date).toISOString(),
    mgdl: reading.mgdl,
    mmol: toMmol(reading.mgdl),
    trend: reading.direction ?? null,
    device: reading.device,
  };
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled.
 * Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or CR first) gets a
 * leading `'`: a device name relayed from another site must not become a formula.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** RFC 4180 ends records with CRLF. */
const CRLF = '\r\n';

/** Writes rows in one format: `start`, then `rows` for each day's rows, then `end`. */
export interface ExportWriter {
  start(): string;
  rows(rows: readonly ExportRow[]): string;
  end(): string;
}

export function exportWriter(format: ExportFormat): ExportWriter {
  if (format === 'csv') {
    return {
      start: () => `${COLUMNS.join(',')}${CRLF}`,
      // mmol/L always with its decimal (`8.0`), as a person reads it.
      rows: (rows) => rows.map((r) => `${COLUMNS.map((c) => (c === 'mmol' ? r.mmol.toFixed(1) : csvField(r[c]))).join(',')}${CRLF}`).join(''),
      end: () => '',
    };
  }
  if (format === 'ndjson') {
    return { start: () => '', rows: (rows) => rows.map((r) => `${JSON.stringify(r)}\n`).join(''), end: () => '' };
  }
  let first = true;
  return {
    start: () => '[',
    rows: (rows) => {
      const text = rows.map((r, i) => `${first && i === 0 ? '' : ','}\n  ${JSON.stringify(r)}`).join('');
      if (rows.length > 0) first = false;
      return text;
    },
    end: () => (first ? ']\n' : '\n]\n'),
  };
}

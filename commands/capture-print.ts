import type { Capture } from '../app/capture.js';
import { describeError } from '../lib/errors.js';
import type { Entry } from '../lib/domain.js';
import { arrowOf, formatGlucose, localDateTime, localZoneName, type ShownUnit } from '../lib/glucose-text.js';
import { glucoseChart } from './capture-chart.js';

const SHOWN = 12;

export interface PrintOptions {
  unit: ShownUnit;
  /** Draw the readings above the table: the terminal's width, and whether it takes colour. */
  chart?: { width: number; color: boolean } | undefined;
}

function rawSummary(raw: unknown): string {
  const text = JSON.stringify(raw) ?? 'undefined';
  return `${text.length} bytes of JSON`;
}

function entryRow(e: Entry, unit: ShownUnit): string {
  const value = e.sgv ?? e.mbg;
  const shown = value === undefined ? '-' : formatGlucose(value, unit);
  return `  ${localDateTime(e.date)}  ${shown.padStart(unit === 'both' ? 22 : 10)}  ${arrowOf(e.direction) ?? ' '} ${e.direction ?? ''}`.trimEnd();
}

/** The human view of a capture: what the vendor returned, what it became, what was written. */
export function formatCapture(capture: Capture, options: PrintOptions): string {
  const who = capture.follows ? `, ${capture.follows.name || capture.follows.patientId} as followed by bridge "${capture.follows.account}"` : '';
  const lines: string[] = [`bridge "${capture.bridge}" — source ${capture.source}${who} (times in ${localZoneName()})`];
  for (const loop of capture.loops) {
    lines.push('', `loop ${loop.loop}`);
    if (loop.window) lines.push(`  window   ${localDateTime(loop.window.fromMs)} → ${localDateTime(loop.window.toMs)}`);
    if (loop.raw !== undefined) lines.push(`  vendor   ${rawSummary(loop.raw)}`);
    if (loop.batch) {
      const b = loop.batch;
      lines.push(`  became   ${b.entries.length} entries, ${b.treatments.length} treatments, ${b.devicestatus.length} devicestatus`);
      const chart = options.chart && glucoseChart(b.entries, { unit: options.unit, ...options.chart });
      if (chart) lines.push('', chart, '');
      const recent = b.entries.slice(-SHOWN);
      if (recent.length > 0) {
        lines.push(`  newest ${recent.length} entries:`);
        lines.push(...recent.map((e) => entryRow(e, options.unit)));
      }
      for (const t of b.treatments.slice(-SHOWN)) {
        lines.push(`  ${localDateTime(t.date)}  ${t.eventType}${t.insulin === undefined ? '' : ` ${t.insulin} U`}${t.carbs === undefined ? '' : ` ${t.carbs} g`}`);
      }
    }
    if (capture.persisted) lines.push(`  written  ${loop.stored ?? 0} new documents`);
    const r = loop.result;
    if (r && r.outcome !== 'success') lines.push(`  outcome  ${r.outcome}${r.error === undefined ? '' : `: ${describeError(r.error)}`}`);
  }
  lines.push('', capture.persisted ? 'Written to the configured outputs.' : 'Nothing written to outputs (add --persist to write; --out DIR saves this capture; --json for everything).');
  return lines.join('\n');
}

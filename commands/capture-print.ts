import type { Capture } from '../lib/capture.js';
import { describeError } from '../lib/errors.js';
import type { Entry } from '../lib/domain.js';

const SHOWN = 12;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function rawSummary(raw: unknown): string {
  const text = JSON.stringify(raw) ?? 'undefined';
  return `${text.length} bytes of JSON`;
}

function entryRow(e: Entry): string {
  const value = e.sgv ?? e.mbg;
  return `  ${iso(e.date)}  ${String(value ?? '-').padStart(3)} mg/dL  ${e.direction ?? ''}`;
}

/** The human view of a capture: what the vendor returned, what it became, what was written. */
export function formatCapture(capture: Capture): string {
  const lines: string[] = [`bridge "${capture.bridge}" — source ${capture.source}`];
  for (const loop of capture.loops) {
    lines.push('', `loop ${loop.loop}`);
    if (loop.window) lines.push(`  window   ${iso(loop.window.fromMs)} → ${iso(loop.window.toMs)}`);
    if (loop.raw !== undefined) lines.push(`  vendor   ${rawSummary(loop.raw)}`);
    if (loop.batch) {
      const b = loop.batch;
      lines.push(`  became   ${b.entries.length} entries, ${b.treatments.length} treatments, ${b.devicestatus.length} devicestatus`);
      const recent = b.entries.slice(-SHOWN);
      if (recent.length > 0) {
        lines.push(`  newest ${recent.length} entries:`);
        lines.push(...recent.map(entryRow));
      }
      for (const t of b.treatments.slice(-SHOWN)) {
        lines.push(`  ${iso(t.date)}  ${t.eventType}${t.insulin === undefined ? '' : ` ${t.insulin} U`}${t.carbs === undefined ? '' : ` ${t.carbs} g`}`);
      }
    }
    if (capture.persisted) lines.push(`  written  ${loop.stored ?? 0} new documents`);
    const r = loop.result;
    if (r && r.outcome !== 'success') lines.push(`  outcome  ${r.outcome}${r.error === undefined ? '' : `: ${describeError(r.error)}`}`);
  }
  lines.push('', capture.persisted ? 'Written to the configured outputs.' : 'Nothing written to outputs (add --persist to write; --out DIR saves this capture; --json for everything).');
  return lines.join('\n');
}

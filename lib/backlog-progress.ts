import type { DeliveryReport } from './contracts/output.js';
import { describeEta } from './time.js';

const BAR_WIDTH = 20;

/** `[██████░░░░░░░░░░░░░░]`: `done` of `total`, in whole blocks. */
export function progressBar(done: number, total: number, width = BAR_WIDTH): string {
  const filled = total <= 0 ? width : Math.min(width, Math.floor((done / total) * width));
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

/**
 * A back-fill's progress for a status line — `nightscout: back-filling [████░░…] 1,200 of 8,064 ·
 * ~2 min left` — or undefined when the output is not working through a backlog.
 */
export function backlogProgress(report: DeliveryReport): string | undefined {
  if (report.state !== 'backlog' || report.delivered === undefined) return undefined;
  const total = report.delivered + report.waiting;
  const n = (v: number): string => v.toLocaleString('en-US');
  return `${report.output}: back-filling ${progressBar(report.delivered, total)} ${n(report.delivered)} of ${n(total)} · ${describeEta(report.etaMs)}`;
}

/** A back-fill shorter than this is over before anyone could read its bar: it gets none. */
export const PROGRESS_AFTER_MS = 2_000;

/**
 * The status-line text for each output's back-fill (keyed by bridge and output): its progress once
 * it has lasted `PROGRESS_AFTER_MS`, otherwise (and once it is done) undefined.
 */
export function backlogStatus(): (key: string, report: DeliveryReport, nowMs: number) => string | undefined {
  const since = new Map<string, number>();
  return (key, report, nowMs) => {
    const text = backlogProgress(report);
    if (text === undefined) {
      since.delete(key);
      return undefined;
    }
    const start = since.get(key) ?? nowMs;
    since.set(key, start);
    return nowMs - start >= PROGRESS_AFTER_MS ? text : undefined;
  };
}

import type { GlucoseUnit } from '../lib/config/unit.js';
import { ConfigError } from '../lib/errors.js';
import { glucoseMetrics, type Reading } from '../lib/glucose-metrics.js';
import { readingsBetween, type DamagedLines } from '../outputs/filesystem/read.js';
import { archiveOf } from './archive.js';
import { cliSettings, EXIT, load, say, type GlobalArgs } from './common.js';
import { damagedWarning } from './export-run.js';
import type { GlucoseReport } from './report-print.js';

const DAY_MS = 24 * 60 * 60_000;
/** A year: the readings of the span are held in memory to compute the report (a year of 1-minute readings is about 25 MB). */
const MAX_DAYS = 366;

export interface ReportArgs extends GlobalArgs {
  days: number;
  bridge?: string | undefined;
  json?: boolean | undefined;
  chart?: boolean | undefined;
  'data-dir'?: string | undefined;
}

export interface ReportJob {
  bridge: string;
  dir: string;
  days: number;
  nowMs: number;
  unit: GlucoseUnit;
}

export function checkDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new ConfigError('EXP009', `--days ${String(days)} is not a whole number of days from 1 to ${MAX_DAYS}`, { hint: 'e.g. --days 14 (the consensus span for an AGP report) or --days 90' });
  }
  return days;
}

/** Reads the span's readings (one day file at a time, kept as bare numbers) and computes the report. */
export async function buildReport(job: ReportJob): Promise<{ report: GlucoseReport; readings: Reading[]; damaged: DamagedLines }> {
  const fromMs = job.nowMs - job.days * DAY_MS;
  const damaged: DamagedLines = { count: 0, files: [] };
  const readings: Reading[] = [];
  for await (const day of readingsBetween(job.dir, fromMs, job.nowMs, damaged)) {
    for (const r of day) readings.push({ date: r.date, mgdl: r.mgdl });
  }
  const metrics = glucoseMetrics(readings, fromMs, job.nowMs);
  const report: GlucoseReport = {
    bridge: job.bridge,
    from: new Date(fromMs).toISOString(),
    to: new Date(job.nowMs).toISOString(),
    days: job.days,
    unit: job.unit,
    ...metrics,
    skippedLines: damaged.count,
  };
  return { report, readings, damaged };
}

export async function runReport(args: ReportArgs): Promise<void> {
  const days = checkDays(args.days);
  const config = load(cliSettings(args, { filesystemDir: args['data-dir'] }));
  const { bridge, dir } = archiveOf(config, args.bridge);
  const { report, readings, damaged } = await buildReport({ bridge: bridge.id, dir, days, nowMs: Date.now(), unit: config.unit });
  const warning = damagedWarning(damaged, dir);
  if (warning !== undefined) process.stderr.write(`${warning}\n`);
  if (args.json) {
    say(JSON.stringify(report, null, 2));
  } else {
    const tty = process.stdout.isTTY === true;
    const { formatReport } = await import('./report-print.js');
    let text = formatReport(report);
    if ((args.chart ?? tty) && readings.length >= 2) {
      // The chart library loads only here, as for capture.
      const { glucoseChart } = await import('./capture-chart.js');
      const chart = glucoseChart(readings.map((r) => ({ date: r.date, sgv: r.mgdl })), { unit: config.unit, width: process.stdout.columns || 80, color: tty });
      if (chart !== undefined) text += `\n\n${chart}`;
    }
    say(text);
  }
  process.exitCode = EXIT.ok;
}

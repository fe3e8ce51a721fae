import { localDateTime, localZoneName } from '../lib/glucose-text.js';
import { EVENT_MINUTES, type GlucoseMetrics } from '../lib/glucose-metrics.js';
import { toMmol } from '../lib/units.js';
import type { GlucoseUnit } from '../lib/config/unit.js';

/** A threshold or value in the report's unit: `70 mg/dL`, `3.9 mmol/L`. */
function glucose(mgdl: number, unit: GlucoseReport['unit'], decimals = 0): string {
  return unit === 'mmol' ? `${toMmol(mgdl).toFixed(1)} mmol/L` : `${mgdl.toFixed(decimals)} mg/dL`;
}

const pct = (value: number | null): string => (value === null ? '–' : `${value.toFixed(1)}%`);

/** What `report --json` prints. */
export interface GlucoseReport extends GlucoseMetrics {
  bridge: string;
  from: string;
  to: string;
  days: number;
  unit: GlucoseUnit;
  /** Lines of the archive that were not stored readings (EXP008). */
  skippedLines: number;
}

/**
 * The report as a person reads it, bands top to bottom as an AGP report shows them, each with the
 * consensus target for most adults with type 1 or type 2 diabetes (Battelino et al. 2019).
 */
export function formatReport(report: GlucoseReport, timeZone?: string): string {
  const u = report.unit;
  const zone = timeZone ?? localZoneName();
  const span = `${localDateTime(Date.parse(report.from), timeZone)} → ${localDateTime(Date.parse(report.to), timeZone)} (${zone})`;
  const lines = [`bridge "${report.bridge}" — last ${report.days} day(s), ${span}`];
  if (report.readings === 0) {
    lines.push('  no readings in this span');
    return lines.join('\n');
  }
  const band = (label: string, value: number | null, target: string) => `  ${label.padEnd(22)}${pct(value).padStart(7)}   ${target}`;
  lines.push(
    `  readings              ${report.readings}, one every ${report.intervalMinutes} min; ${pct(report.coveragePercent)} of the span covered`,
    band(`above ${glucose(250, u)}`, report.percentAbove250, 'target < 5%'),
    band(`above ${glucose(180, u)}`, report.percentAbove180, 'target < 25%'),
    band(`in range ${u === 'mmol' ? '3.9–10.0' : '70–180'}`, report.percentInRange, 'target > 70%'),
    band(`below ${glucose(70, u)}`, report.percentBelow70, 'target < 4%'),
    band(`below ${glucose(54, u)}`, report.percentBelow54, 'target < 1%'),
  );
  const mean = report.mean === null ? '–' : u === 'mmol' ? `${report.mean.mmol.toFixed(1)} mmol/L` : `${report.mean.mgdl.toFixed(0)} mg/dL`;
  const sd = report.sd === null ? '–' : u === 'mmol' ? `${report.sd.mmol.toFixed(1)} mmol/L` : `${report.sd.mgdl.toFixed(0)} mg/dL`;
  lines.push(
    `  mean                  ${mean}; GMI ${pct(report.gmiPercent)}; CV ${pct(report.cvPercent)} (target ≤ 36%), SD ${sd}`,
    `  lows                  ${report.events.below70} below ${glucose(70, u)}, ${report.events.below54} below ${glucose(54, u)} (each ≥ ${EVENT_MINUTES} min)`,
    `  highs                 ${report.events.above180} above ${glucose(180, u)}, ${report.events.above250} above ${glucose(250, u)} (each ≥ ${EVENT_MINUTES} min)`,
  );
  if (!report.sufficient) lines.push('  (less than 14 days or 70% coverage: the consensus reads GMI and time in range from at least that)');
  return lines.join('\n');
}

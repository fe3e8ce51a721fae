/**
 * The numbers an AGP report opens with, as the international consensus defines them (Battelino
 * et al., Diabetes Care 2019, "Clinical Targets for CGM Data Interpretation: Recommendations From
 * the International Consensus on Time in Range"; Battelino et al., Lancet Diabetes Endocrinol 2023,
 * "Continuous glucose monitoring and metrics for clinical trials"). Pure: readings in, numbers out.
 * docs/commands.md ("report") states every rule below for people.
 */
import { toMmol } from './units.js';

export interface Reading {
  date: number;
  mgdl: number;
}

/** An event lasts at least this long below (or above) its threshold, and ends after this long back across it. */
export const EVENT_MINUTES = 15;
/** No readings for longer than this breaks a run: nothing is assumed about time without data. */
export const MAX_GAP_MINUTES = 30;
/** The consensus asks for this much data before GMI and the percentages speak for a person's glucose. */
export const SUFFICIENT_DAYS = 14;
export const SUFFICIENT_COVERAGE_PERCENT = 70;

const MINUTE_MS = 60_000;

export interface GlucoseMetrics {
  readings: number;
  /** The sensor's interval: the median time between readings, in whole minutes (5 when there are too few to tell). */
  intervalMinutes: number;
  /** Share of the span's intervals that hold at least one reading. */
  coveragePercent: number;
  /** Shares of readings; the lower bands include the lowest (below 70 includes below 54), the upper ones the highest. */
  percentBelow54: number | null;
  percentBelow70: number | null;
  percentInRange: number | null;
  percentAbove180: number | null;
  percentAbove250: number | null;
  mean: { mgdl: number; mmol: number } | null;
  sd: { mgdl: number; mmol: number } | null;
  /** Glucose management indicator, %: 3.31 + 0.02392 × mean mg/dL (Bergenstal et al. 2018). */
  gmiPercent: number | null;
  /** Coefficient of variation, %: SD / mean. */
  cvPercent: number | null;
  /** Episodes of at least 15 minutes across a threshold, ended by at least 15 minutes back across it. */
  events: { below70: number; below54: number; above180: number; above250: number };
  /** At least 14 days and 70 % coverage: what the consensus asks before reading GMI and time in range. */
  sufficient: boolean;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const percent = (part: number, whole: number): number | null => (whole === 0 ? null : round1((part / whole) * 100));

function medianGapMinutes(readings: readonly Reading[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < readings.length; i++) {
    const gap = readings[i]!.date - readings[i - 1]!.date;
    if (gap > 0) gaps.push(gap);
  }
  if (gaps.length === 0) return 5;
  gaps.sort((a, b) => a - b);
  return Math.max(1, Math.round(gaps[Math.floor(gaps.length / 2)]! / MINUTE_MS));
}

/**
 * Counts events where `across(mgdl)` holds: an event begins once consecutive readings across the
 * threshold span at least 15 minutes (each reading stands for one interval, so three 5-minute
 * readings are 15 minutes) and ends once readings back across it span 15 minutes; a gap longer than
 * 30 minutes ends a run and an event. Readings sorted by time.
 */
export function countEvents(readings: readonly Reading[], across: (mgdl: number) => boolean, intervalMs: number): number {
  const needMs = EVENT_MINUTES * MINUTE_MS;
  let events = 0;
  let inEvent = false;
  let runStart: number | undefined;
  let previous: number | undefined;
  for (const { date, mgdl } of readings) {
    if (previous !== undefined && date - previous > MAX_GAP_MINUTES * MINUTE_MS) {
      inEvent = false;
      runStart = undefined;
    }
    previous = date;
    // In an event, the run that counts is the one back across the threshold.
    if (across(mgdl) !== inEvent) {
      runStart ??= date;
      if (date - runStart + intervalMs >= needMs) {
        if (!inEvent) events += 1;
        inEvent = !inEvent;
        runStart = undefined;
      }
    } else {
      runStart = undefined;
    }
  }
  return events;
}

/** The metrics of `readings` (sorted by time, within `fromMs`–`toMs`) over that span. */
export function glucoseMetrics(readings: readonly Reading[], fromMs: number, toMs: number): GlucoseMetrics {
  const n = readings.length;
  const intervalMinutes = medianGapMinutes(readings);
  const intervalMs = intervalMinutes * MINUTE_MS;
  const slots = Math.max(1, Math.ceil((toMs - fromMs) / intervalMs));
  const covered = new Set<number>();
  let [below54, below70, inRange, above180, above250, sum] = [0, 0, 0, 0, 0, 0];
  for (const { date, mgdl } of readings) {
    covered.add(Math.floor((date - fromMs) / intervalMs));
    if (mgdl < 54) below54 += 1;
    if (mgdl < 70) below70 += 1;
    else if (mgdl <= 180) inRange += 1;
    if (mgdl > 180) above180 += 1;
    if (mgdl > 250) above250 += 1;
    sum += mgdl;
  }
  const mean = n === 0 ? undefined : sum / n;
  let sd: number | undefined;
  if (mean !== undefined && n > 1) {
    let squares = 0;
    for (const { mgdl } of readings) squares += (mgdl - mean) ** 2;
    // The sample standard deviation, as R's sd() and the usual CGM tools compute it.
    sd = Math.sqrt(squares / (n - 1));
  }
  const coveragePercent = Math.min(100, round1((covered.size / slots) * 100));
  const days = (toMs - fromMs) / (24 * 60 * MINUTE_MS);
  return {
    readings: n,
    intervalMinutes,
    coveragePercent,
    percentBelow54: percent(below54, n),
    percentBelow70: percent(below70, n),
    percentInRange: percent(inRange, n),
    percentAbove180: percent(above180, n),
    percentAbove250: percent(above250, n),
    mean: mean === undefined ? null : { mgdl: round1(mean), mmol: toMmol(mean) },
    sd: sd === undefined ? null : { mgdl: round1(sd), mmol: toMmol(sd) },
    gmiPercent: mean === undefined ? null : round1(3.31 + 0.02392 * mean),
    cvPercent: mean === undefined || sd === undefined ? null : round1((sd / mean) * 100),
    events: {
      below70: countEvents(readings, (g) => g < 70, intervalMs),
      below54: countEvents(readings, (g) => g < 54, intervalMs),
      above180: countEvents(readings, (g) => g > 180, intervalMs),
      above250: countEvents(readings, (g) => g > 250, intervalMs),
    },
    sufficient: days >= SUFFICIENT_DAYS - 1e-9 && coveragePercent >= SUFFICIENT_COVERAGE_PERCENT,
  };
}

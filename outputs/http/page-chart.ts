import type { Reading } from './cache/types.js';
import { formatAge } from '../../lib/glucose-text.js';
import { escapeHtml, formatGlucose, rangeOf, type PageUnits } from './page-format.js';
import { thinPerBridge } from './thin.js';

/** The span the chart shows, ending now. */
export const CHART_SPAN_MS = 24 * 60 * 60_000;
/** Readings up to this far in the future (a vendor clock ahead of ours) are drawn at "now". */
const FUTURE_SLACK_MS = 5 * 60_000;

/** viewBox size: the SVG keeps this aspect ratio and scales to the card's width. */
const W = 1000;
const H = 400;
/** Sensors report 40–400 mg/dL; the y axis starts at 40 and ends at 250–400 to fit the data. */
const Y_MIN = 40;

export interface ChartInput {
  /** Any order; only those within the last 24 h (see `inChartWindow`) are drawn. */
  readings: readonly Reading[];
  nowMs: number;
  units: PageUnits;
  targetLow: number;
  targetHigh: number;
}

/** Whether a reading is drawn: within the 24 h before now (a few minutes of clock skew allowed). */
export function inChartWindow(reading: Reading, nowMs: number): boolean {
  return reading.date >= nowMs - CHART_SPAN_MS && reading.date <= nowMs + FUTURE_SLACK_MS;
}

const isSorted = (list: readonly Reading[], sign: 1 | -1): boolean => list.every((r, i) => i === 0 || sign * (r.date - list[i - 1]!.date) >= 0);

/**
 * The readings in `order` by date: the list itself when it already is (the status model gives
 * newest first), else a sorted copy. A day at 1 s is 86,400 readings; sorting them on every visit
 * would cost more than drawing the thinned chart.
 */
export function byDate(list: readonly Reading[], order: 'oldest first' | 'newest first'): readonly Reading[] {
  const sign = order === 'oldest first' ? 1 : -1;
  if (isSorted(list, sign)) return list;
  if (isSorted(list, -sign as 1 | -1)) return [...list].reverse();
  return [...list].sort((a, b) => sign * (a.date - b.date));
}

/** The readings (oldest first) that `inChartWindow` keeps, as one slice: no per-reading copy of a long day. */
function inWindow(sorted: readonly Reading[], nowMs: number): readonly Reading[] {
  const from = firstIndex(sorted, (r) => r.date >= nowMs - CHART_SPAN_MS);
  const to = firstIndex(sorted, (r) => r.date > nowMs + FUTURE_SLACK_MS);
  return from === 0 && to === sorted.length ? sorted : sorted.slice(from, to);
}

/** Binary search: the first index where `past` holds (it holds from there to the end). */
function firstIndex(sorted: readonly Reading[], past: (r: Reading) => boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (past(sorted[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function round1(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/**
 * The 24 h chart: dots coloured by range over the shaded target band, as inline SVG. Axis labels
 * are HTML beside and below the SVG (positioned in % of its size) so they stay readable at any
 * width instead of shrinking with the drawing on a phone. A fast source is thinned to what a
 * screen shows (`thin.ts`: at most 600 points per bridge, every bucket's low and high kept), so
 * the page stays small whatever the cadence; the summary and the stats count every reading.
 */
export function renderChart(input: ChartInput): string {
  const { nowMs, units, targetLow, targetHigh } = input;
  const start = nowMs - CHART_SPAN_MS;
  const shown = inWindow(byDate(input.readings, 'oldest first'), nowMs);
  // Thinning keeps every bucket's highest, so the axis fits the same data either way.
  const drawn = thinPerBridge(shown);

  const highest = drawn.reduce((m, r) => Math.max(m, r.sgv), 0);
  const yMax = Math.min(400, Math.max(250, Math.ceil((Math.max(highest, targetHigh) + 10) / 50) * 50));
  const x = (date: number): number => ((Math.min(date, nowMs) - start) / CHART_SPAN_MS) * W;
  const y = (mgdl: number): number => H - ((Math.min(Math.max(mgdl, Y_MIN), yMax) - Y_MIN) / (yMax - Y_MIN)) * H;
  const pct = (v: number, of: number): string => `${round1((v / of) * 100)}%`;

  const parts: string[] = [];
  const bandTop = y(targetHigh);
  const bandBottom = y(targetLow);
  parts.push(
    `<rect data-testid="target-band" class="band" x="0" y="${round1(bandTop)}" width="${W}" height="${round1(bandBottom - bandTop)}"/>`,
    `<line class="limit" x1="0" x2="${W}" y1="${round1(bandTop)}" y2="${round1(bandTop)}"/>`,
    `<line class="limit" x1="0" x2="${W}" y1="${round1(bandBottom)}" y2="${round1(bandBottom)}"/>`,
  );
  for (let h = 3; h < 24; h += 3) {
    const gx = round1(x(nowMs - h * 3_600_000));
    parts.push(`<line class="grid" x1="${gx}" x2="${gx}" y1="0" y2="${H}"/>`);
  }
  drawn.forEach((r, i) => {
    const range = rangeOf(r.sgv, targetLow, targetHigh);
    const last = i === drawn.length - 1 ? ' last' : '';
    const tip = `${formatGlucose(r.sgv, units)} ${units}, ${formatAge(nowMs - r.date)}`;
    parts.push(
      `<circle data-testid="point" class="pt ${range}${last}" cx="${round1(x(r.date))}" cy="${round1(y(r.sgv))}" r="${last ? 9 : 5}"><title>${escapeHtml(tip)}</title></circle>`,
    );
  });

  const yLabels = [...new Set([targetLow, targetHigh, yMax])]
    .map((v) => `<span style="top:${pct(y(v), H)}">${formatGlucose(v, units)}</span>`)
    .join('');
  const xLabels = [
    { at: 0, text: '24 h', cls: 'first' },
    { at: 6, text: '18 h' },
    { at: 12, text: '12 h' },
    { at: 18, text: '6 h' },
    { at: 24, text: 'now', cls: 'end' },
  ]
    .map((l) => `<span class="${l.cls ?? ''}" style="left:${pct(l.at, 24)}">${l.text}</span>`)
    .join('');
  const empty = shown.length === 0 ? '<p class="chart-empty">No readings in the last 24 hours</p>' : '';
  const summary = `Glucose over the last 24 hours, ${shown.length} readings, target ${formatGlucose(targetLow, units)}–${formatGlucose(targetHigh, units)} ${units}`;

  return `<figure class="chart" data-testid="chart" data-points="${drawn.length}" data-readings="${shown.length}">
<div class="plot">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(summary)}">${parts.join('')}</svg>
<div class="ylabels" aria-hidden="true">${yLabels}</div>
${empty}</div>
<div class="xlabels" aria-hidden="true">${xLabels}</div>
</figure>`;
}

export interface Stats {
  count: number;
  /** Percent of readings within the target range, 0–100. */
  inRangePct: number;
  lowPct: number;
  highPct: number;
  meanMgdl: number;
}

/** Time in range and mean over the readings the chart shows; undefined when there are none. */
export function chartStats(input: ChartInput): Stats | undefined {
  let count = 0;
  let low = 0;
  let high = 0;
  let sum = 0;
  // One pass: at a 1 s cadence this runs over 86,400 readings on every visit.
  for (const r of input.readings) {
    if (!inChartWindow(r, input.nowMs)) continue;
    count++;
    sum += r.sgv;
    if (r.sgv < input.targetLow) low++;
    else if (r.sgv > input.targetHigh) high++;
  }
  if (count === 0) return undefined;
  const pct = (n: number): number => Math.round((n / count) * 100);
  return { count, inRangePct: pct(count - low - high), lowPct: pct(low), highPct: pct(high), meanMgdl: sum / count };
}

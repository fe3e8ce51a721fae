import { plot, green, type PlotConfig } from 'asciichart';
import type { Entry } from '../lib/domain.js';
import { localDateTime, type ShownUnit } from '../lib/glucose-text.js';
import { MGDL_PER_MMOL, toMmol } from '../lib/units.js';
import { DEFAULT_TARGET_HIGH, DEFAULT_TARGET_LOW } from '../lib/target-range.js';

/** The band spans this many rows, so its edges (70 and 180) fall on rows of their own and are labelled exactly. */
const BAND_ROWS = 5;

/** Columns the y-axis labels and the axis take (`  180 (10.0) ┤`), left of the plot. */
const LABEL_WIDTH = 14;

export interface ChartOptions {
  unit: ShownUnit;
  /** The terminal's columns; the plot never wraps. */
  width: number;
  /** Colour the 70–180 band (a terminal); plain characters for a file or a pipe. */
  color: boolean;
}

/**
 * At most `columns` points: consecutive readings averaged in equal groups, so a day of 1-minute
 * readings fits a terminal. Readings, not time, are spread out: a gap in the data is not drawn.
 */
export function fitColumns(values: readonly number[], columns: number): number[] {
  if (values.length <= columns) return [...values];
  const out: number[] = [];
  for (let c = 0; c < columns; c += 1) {
    const group = values.slice(Math.floor((c * values.length) / columns), Math.floor(((c + 1) * values.length) / columns));
    out.push(group.reduce((a, b) => a + b, 0) / group.length);
  }
  return out;
}

/** Y-axis labels in the plotted unit; `both` plots mg/dL and names the mmol/L beside it. */
function axisLabel(unit: ShownUnit): (value: number) => string {
  const text = unit === 'mmol' ? (v: number) => v.toFixed(1) : unit === 'both' ? (v: number) => `${Math.round(v)} (${toMmol(v).toFixed(1)})` : (v: number) => String(Math.round(v));
  return (v) => text(v).padStart(LABEL_WIDTH - 3);
}

/**
 * The sensor readings as a line chart over the target band (70–180 mg/dL, 3.9–10.0 mmol/L), drawn by
 * asciichart, with the local time span below; undefined when there is nothing to draw.
 */
export function glucoseChart(entries: readonly Pick<Entry, 'date' | 'sgv'>[], options: ChartOptions): string | undefined {
  const readings = entries.filter((e) => e.sgv !== undefined).sort((a, b) => a.date - b.date);
  if (readings.length < 2) return undefined;
  const mmol = options.unit === 'mmol';
  const scale = (mgdl: number): number => (mmol ? mgdl / MGDL_PER_MMOL : mgdl);
  const line = fitColumns(readings.map((r) => scale(r.sgv ?? 0)), Math.max(10, options.width - LABEL_WIDTH - 1));
  const [low, high] = [scale(DEFAULT_TARGET_LOW), scale(DEFAULT_TARGET_HIGH)];
  // Whole rows above and below the band, so the band always shows, even when every reading is inside it.
  const step = (high - low) / BAND_ROWS;
  const below = Math.max(0, Math.ceil((low - Math.min(...line)) / step - 1e-9));
  const above = Math.max(0, Math.ceil((Math.max(...line) - high) / step - 1e-9));
  const config: PlotConfig = {
    height: BAND_ROWS + below + above,
    min: low - below * step,
    max: high + above * step,
    format: axisLabel(options.unit),
    // The band first, so the glucose line is drawn over it where they cross.
    ...(options.color ? { colors: [green, green, undefined] } : {}),
  };
  const chart = plot([line.map(() => low), line.map(() => high), line], config);
  const [first, last] = [readings[0], readings[readings.length - 1]];
  const span = `${' '.repeat(LABEL_WIDTH - 1)}└ ${localDateTime(first?.date ?? 0)} → ${localDateTime(last?.date ?? 0)}, ${readings.length} readings; band ${mmol ? '3.9–10.0 mmol/L' : '70–180 mg/dL'}`;
  return `${chart}\n${span}`;
}

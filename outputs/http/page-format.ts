import { ARROWS } from '../../lib/arrows.js';
import type { Direction } from '../../lib/domain.js';
import { URGENT_LOW } from '../../lib/target-range.js';
import { MGDL_PER_MMOL, toMmol } from '../../lib/units.js';

/** The units the status page shows glucose in; everything it is given is mg/dL. */
export type PageUnits = 'mg/dL' | 'mmol/L';

/** A reading older than this is stale: shown struck through and greyed, never as current. */
export const STALE_AFTER_MS = 15 * 60_000;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for HTML element content and quoted attribute values. Every string that did not
 * come from this module (bridge ids, loop and output names, error messages) goes through it.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** A glucose value in the page's units: whole mg/dL, or mmol/L with one decimal. */
export function formatGlucose(mgdl: number, units: PageUnits): string {
  return units === 'mmol/L' ? toMmol(mgdl).toFixed(1) : String(Math.round(mgdl));
}

/** A change in glucose with its sign (`+3`, `−0.2`, `±0`), in the page's units. */
export function formatDelta(deltaMgdl: number, units: PageUnits): string {
  const text = units === 'mmol/L' ? Math.abs(deltaMgdl / MGDL_PER_MMOL).toFixed(1) : String(Math.abs(Math.round(deltaMgdl)));
  if (Number(text) === 0) return `±${text}`;
  return `${deltaMgdl > 0 ? '+' : '−'}${text}`;
}

/** A reading's arrow on the page: Nightscout's glyph, with words for screen readers and the tooltip. */
export interface TrendGlyph {
  /** The arrow glyph, or `–` when there is no usable direction. */
  glyph: string;
  label: string;
}

/** The directions that are arrows, in words; the others (`NOT COMPUTABLE`, …) show no arrow. */
const TREND_WORDS: Partial<Record<Direction, string>> = {
  TripleUp: 'rising very fast',
  DoubleUp: 'rising fast',
  SingleUp: 'rising',
  FortyFiveUp: 'rising slowly',
  Flat: 'steady',
  FortyFiveDown: 'falling slowly',
  SingleDown: 'falling',
  DoubleDown: 'falling fast',
  TripleDown: 'falling very fast',
};

const NO_TREND: TrendGlyph = { glyph: '–', label: 'no trend' };

/** The arrow for a CGM direction; `NOT COMPUTABLE`, `RATE OUT OF RANGE`, `NONE` and none get `–`. */
export function trendGlyphOf(direction: Direction | undefined): TrendGlyph {
  const label = direction === undefined ? undefined : TREND_WORDS[direction];
  return direction === undefined || label === undefined ? NO_TREND : { glyph: ARROWS[direction], label };
}

export type Range = 'urgent-low' | 'low' | 'in-range' | 'high';

/** Where a value (mg/dL) lies against the target range. */
export function rangeOf(mgdl: number, targetLow: number, targetHigh: number): Range {
  if (mgdl < URGENT_LOW) return 'urgent-low';
  if (mgdl < targetLow) return 'low';
  if (mgdl > targetHigh) return 'high';
  return 'in-range';
}

export const RANGE_LABELS: Record<Range, string> = {
  'urgent-low': 'Urgent low',
  low: 'Low',
  'in-range': 'In range',
  high: 'High',
};

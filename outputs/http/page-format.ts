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

export interface Trend {
  /** The arrow glyph, or `–` when there is no usable direction. */
  glyph: string;
  /** Words for screen readers and the tooltip. */
  label: string;
}

const TRENDS: Partial<Record<Direction, Trend>> = {
  DoubleUp: { glyph: '⇈', label: 'rising fast' },
  SingleUp: { glyph: '↑', label: 'rising' },
  FortyFiveUp: { glyph: '↗', label: 'rising slowly' },
  Flat: { glyph: '→', label: 'steady' },
  FortyFiveDown: { glyph: '↘', label: 'falling slowly' },
  SingleDown: { glyph: '↓', label: 'falling' },
  DoubleDown: { glyph: '⇊', label: 'falling fast' },
  TripleDown: { glyph: '⇊', label: 'falling very fast' },
};

const NO_TREND: Trend = { glyph: '–', label: 'no trend' };

/** The arrow for a CGM direction; `NOT COMPUTABLE`, `RATE OUT OF RANGE`, `NONE` and none get `–`. */
export function trendOf(direction: Direction | undefined): Trend {
  return (direction && TRENDS[direction]) ?? NO_TREND;
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

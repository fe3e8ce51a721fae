import type { Direction } from '../../lib/domain.js';

export interface Trend {
  direction: Direction;
  /** Nightscout's numeric trend. */
  trend: number;
}

/** Glooko's trend names, normalised (lower case, no space, `_` or `-`) → Nightscout (vendor-apis.md §4.4). */
const TRENDS: Record<string, Trend> = {
  doubleup: { direction: 'DoubleUp', trend: 1 },
  singleup: { direction: 'SingleUp', trend: 2 },
  fortyfiveup: { direction: 'FortyFiveUp', trend: 3 },
  flat: { direction: 'Flat', trend: 4 },
  fortyfivedown: { direction: 'FortyFiveDown', trend: 5 },
  singledown: { direction: 'SingleDown', trend: 6 },
  doubledown: { direction: 'DoubleDown', trend: 7 },
  notcomputable: { direction: 'NOT COMPUTABLE', trend: 8 },
  rateoutofrange: { direction: 'RATE OUT OF RANGE', trend: 9 },
};

/**
 * `FortyFiveUp`, `forty_five_up`, `Forty Five Up` → trend. Anything else (absent, unknown,
 * a graph point) gets no trend at all: a guessed `Flat` would show an arrow the sensor never gave.
 */
export function trendFor(value: unknown): Trend | undefined {
  if (typeof value !== 'string') return undefined;
  return TRENDS[value.toLowerCase().replace(/[\s_-]+/g, '')];
}

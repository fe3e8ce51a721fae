import type { Direction } from '../../lib/domain.js';

export interface Trend {
  direction: Direction;
  /** Nightscout's numeric trend. */
  trend: number;
}

/** Share `Trend` → Nightscout, in legacy-integer order (vendor-apis.md §2.5). */
const BY_NUMBER: readonly Trend[] = [
  { direction: 'NONE', trend: 0 },
  { direction: 'DoubleUp', trend: 1 },
  { direction: 'SingleUp', trend: 2 },
  { direction: 'FortyFiveUp', trend: 3 },
  { direction: 'Flat', trend: 4 },
  { direction: 'FortyFiveDown', trend: 5 },
  { direction: 'SingleDown', trend: 6 },
  { direction: 'DoubleDown', trend: 7 },
  { direction: 'NOT COMPUTABLE', trend: 8 },
  { direction: 'RATE OUT OF RANGE', trend: 9 },
];

/** Names as Share sends them since Dec 2021, normalised (lower case, no spaces or underscores). */
const NAMES = ['none', 'doubleup', 'singleup', 'fortyfiveup', 'flat', 'fortyfivedown', 'singledown', 'doubledown', 'notcomputable', 'rateoutofrange'];

/**
 * A string name (`FortyFiveUp`, `Forty Five Up`, `forty_five_up`) or a legacy integer → trend.
 * Anything else gets no trend at all: an unknown value is not turned into an arrow.
 */
export function trendFor(value: unknown): Trend | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? BY_NUMBER[value] : undefined;
  if (typeof value !== 'string') return undefined;
  const key = value.toLowerCase().replace(/[\s_-]+/g, '');
  if (/^\d$/.test(key)) return BY_NUMBER[Number(key)];
  const index = NAMES.indexOf(key);
  return index < 0 ? undefined : BY_NUMBER[index];
}

import type { Direction } from '../../lib/domain.js';

/** One band of the rate → arrow table; a rate belongs to the first band whose limit it meets. */
interface DirectionBand {
  /** mg/dL per minute. */
  limit: number;
  /** Whether a rate equal to `limit` still belongs to this band. */
  inclusive: boolean;
  direction: Direction;
  /** Nightscout's trend number: 1 DoubleUp … 4 Flat … 7 DoubleDown. */
  trend: number;
}

/** Nightscout's thresholds, falling rates first. */
export const DIRECTION_BANDS: readonly DirectionBand[] = [
  { limit: -3, inclusive: true, direction: 'DoubleDown', trend: 7 },
  { limit: -2, inclusive: true, direction: 'SingleDown', trend: 6 },
  { limit: -1, inclusive: true, direction: 'FortyFiveDown', trend: 5 },
  { limit: 1, inclusive: false, direction: 'Flat', trend: 4 },
  { limit: 2, inclusive: false, direction: 'FortyFiveUp', trend: 3 },
  { limit: 3, inclusive: false, direction: 'SingleUp', trend: 2 },
  { limit: Infinity, inclusive: true, direction: 'DoubleUp', trend: 1 },
];

/** The arrow and trend number for a rate of change in mg/dL per minute. */
export function directionForRate(ratePerMinute: number): { direction: Direction; trend: number } {
  for (const band of DIRECTION_BANDS) {
    if (ratePerMinute < band.limit || (band.inclusive && ratePerMinute === band.limit)) {
      return { direction: band.direction, trend: band.trend };
    }
  }
  return { direction: 'NOT COMPUTABLE', trend: 8 };
}

import { trendOf, type Direction, type Trend } from '../../lib/domain.js';

/** One band of the rate → arrow table; a rate belongs to the first band whose limit it meets. */
interface DirectionBand {
  /** mg/dL per minute. */
  limit: number;
  /** Whether a rate equal to `limit` still belongs to this band. */
  inclusive: boolean;
  direction: Direction;
}

/** Nightscout's thresholds, falling rates first. */
export const DIRECTION_BANDS: readonly DirectionBand[] = [
  { limit: -3, inclusive: true, direction: 'DoubleDown' },
  { limit: -2, inclusive: true, direction: 'SingleDown' },
  { limit: -1, inclusive: true, direction: 'FortyFiveDown' },
  { limit: 1, inclusive: false, direction: 'Flat' },
  { limit: 2, inclusive: false, direction: 'FortyFiveUp' },
  { limit: 3, inclusive: false, direction: 'SingleUp' },
  { limit: Infinity, inclusive: true, direction: 'DoubleUp' },
];

/** The arrow and trend number for a rate of change in mg/dL per minute. */
export function directionForRate(ratePerMinute: number): Trend {
  for (const band of DIRECTION_BANDS) {
    if (ratePerMinute < band.limit || (band.inclusive && ratePerMinute === band.limit)) return trendOf(band.direction);
  }
  return trendOf('NOT COMPUTABLE');
}

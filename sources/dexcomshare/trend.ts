import { trendOf, type Direction, type Trend } from '../../lib/domain.js';

/** Share's legacy `Trend` integers are the index here, and Nightscout's `trend` numbers the same. */
const BY_NUMBER: readonly Direction[] = [
  'NONE',
  'DoubleUp',
  'SingleUp',
  'FortyFiveUp',
  'Flat',
  'FortyFiveDown',
  'SingleDown',
  'DoubleDown',
  'NOT COMPUTABLE',
  'RATE OUT OF RANGE',
];

/** Names as Share sends them since Dec 2021, normalised (lower case, no spaces or underscores). */
const NAMES = ['none', 'doubleup', 'singleup', 'fortyfiveup', 'flat', 'fortyfivedown', 'singledown', 'doubledown', 'notcomputable', 'rateoutofrange'];

function byNumber(index: number): Trend | undefined {
  const direction = BY_NUMBER[index];
  return direction === undefined ? undefined : trendOf(direction);
}

/**
 * A string name (`FortyFiveUp`, `Forty Five Up`, `forty_five_up`) or a legacy integer → trend.
 * Anything else gets no trend at all: an unknown value is not turned into an arrow.
 */
export function trendFor(value: unknown): Trend | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? byNumber(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const key = value.toLowerCase().replace(/[\s_-]+/g, '');
  if (/^\d$/.test(key)) return byNumber(Number(key));
  const index = NAMES.indexOf(key);
  return index < 0 ? undefined : byNumber(index);
}

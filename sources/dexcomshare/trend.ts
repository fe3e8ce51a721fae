import { DIRECTIONS, TREND_NUMBER, trendOf, type Direction, type Trend } from '../../lib/domain.js';

/**
 * Share's arrows are Nightscout's without the triple ones: a legacy `Trend` integer is Nightscout's
 * `trend` number, and a name (since Dec 2021) is Nightscout's direction in another spelling.
 */
const SHARE_DIRECTIONS: readonly Direction[] = DIRECTIONS.filter((d) => d !== 'TripleUp' && d !== 'TripleDown');

/** `FortyFiveUp`, `Forty Five Up`, `forty_five_up` and `NOT COMPUTABLE` alike: lower case, no spaces, `_` or `-`. */
const normalised = (name: string): string => name.toLowerCase().replace(/[\s_-]+/g, '');

function byNumber(value: number): Trend | undefined {
  const direction = SHARE_DIRECTIONS.find((d) => TREND_NUMBER[d] === value);
  return direction === undefined ? undefined : trendOf(direction);
}

/**
 * A string name or a legacy integer → trend. Anything else gets no trend at all: an unknown
 * value is not turned into an arrow.
 */
export function trendFor(value: unknown): Trend | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? byNumber(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const key = normalised(value);
  if (/^\d$/.test(key)) return byNumber(Number(key));
  const direction = SHARE_DIRECTIONS.find((d) => normalised(d) === key);
  return direction === undefined ? undefined : trendOf(direction);
}

import { trendOf, type Direction, type Trend } from '../../lib/domain.js';

/** Glooko's trend names, normalised (lower case, no space, `_` or `-`) → Nightscout. */
const DIRECTIONS: Readonly<Record<string, Direction>> = {
  doubleup: 'DoubleUp',
  singleup: 'SingleUp',
  fortyfiveup: 'FortyFiveUp',
  flat: 'Flat',
  fortyfivedown: 'FortyFiveDown',
  singledown: 'SingleDown',
  doubledown: 'DoubleDown',
  notcomputable: 'NOT COMPUTABLE',
  rateoutofrange: 'RATE OUT OF RANGE',
};

/**
 * `FortyFiveUp`, `forty_five_up`, `Forty Five Up` → trend. Anything else (absent, unknown,
 * a graph point) gets no trend at all: a guessed `Flat` would show an arrow the sensor never gave.
 */
export function trendFor(value: unknown): Trend | undefined {
  if (typeof value !== 'string') return undefined;
  const key = value.toLowerCase().replace(/[\s_-]+/g, '');
  const direction = Object.hasOwn(DIRECTIONS, key) ? DIRECTIONS[key] : undefined;
  return direction === undefined ? undefined : trendOf(direction);
}

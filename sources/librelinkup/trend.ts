import { trendOf, type Direction, type Trend } from '../../lib/domain.js';

/** LibreLink Up `TrendArrow` (1 falling … 3 flat … 5 rising) → Nightscout. LLU has no double arrows. */
const TREND_ARROWS: Readonly<Record<number, Direction>> = {
  1: 'SingleDown',
  2: 'FortyFiveDown',
  3: 'Flat',
  4: 'FortyFiveUp',
  5: 'SingleUp',
};

export const NOT_COMPUTABLE: Trend = trendOf('NOT COMPUTABLE');

/**
 * The trend of the *current* reading. History points have no arrow and get no trend at all:
 * DiaKEM maps a missing arrow to Flat, which invents a direction the sensor never reported.
 */
export function trendForArrow(arrow: number | null | undefined): Trend {
  const direction = arrow === null || arrow === undefined || !Object.hasOwn(TREND_ARROWS, arrow) ? undefined : TREND_ARROWS[arrow];
  return direction === undefined ? NOT_COMPUTABLE : trendOf(direction);
}

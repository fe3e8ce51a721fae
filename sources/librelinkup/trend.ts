import type { Direction } from '../../lib/domain.js';

export interface Trend {
  direction: Direction;
  /** Nightscout's numeric trend. */
  trend: number;
}

/** LibreLink Up `TrendArrow` → Nightscout (vendor-apis.md §1.7). LLU has no double arrows. */
export const TREND_ARROWS: Readonly<Record<number, Trend>> = {
  1: { direction: 'SingleDown', trend: 6 },
  2: { direction: 'FortyFiveDown', trend: 5 },
  3: { direction: 'Flat', trend: 4 },
  4: { direction: 'FortyFiveUp', trend: 3 },
  5: { direction: 'SingleUp', trend: 2 },
};

export const NOT_COMPUTABLE: Trend = { direction: 'NOT COMPUTABLE', trend: 8 };

/**
 * The trend of the *current* reading. History points have no arrow and get no trend at all:
 * DiaKEM maps a missing arrow to Flat, which invents a direction the sensor never reported.
 */
export function trendForArrow(arrow: number | null | undefined): Trend {
  return (arrow === null || arrow === undefined ? undefined : TREND_ARROWS[arrow]) ?? NOT_COMPUTABLE;
}

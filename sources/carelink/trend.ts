import type { Direction } from '../../lib/domain.js';

export interface Trend {
  direction: Direction;
  trend: number;
}

/** `lastSGTrend` → Nightscout (vendor-apis.md §3.5); CareLink has no 45° arrows. */
const TRENDS: Readonly<Record<string, Trend>> = {
  UP_TRIPLE: { direction: 'TripleUp', trend: 1 },
  UP_DOUBLE: { direction: 'DoubleUp', trend: 1 },
  UP: { direction: 'SingleUp', trend: 2 },
  NONE: { direction: 'Flat', trend: 4 },
  DOWN: { direction: 'SingleDown', trend: 6 },
  DOWN_DOUBLE: { direction: 'DoubleDown', trend: 7 },
  DOWN_TRIPLE: { direction: 'TripleDown', trend: 7 },
};

/** An unknown value gets no arrow rather than an invented one. */
export function trendFor(value: string | null | undefined): Trend | undefined {
  return value ? TRENDS[value.trim().toUpperCase()] : undefined;
}

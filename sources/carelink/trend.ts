import { trendOf, type Direction, type Trend } from '../../lib/domain.js';

/** `lastSGTrend` → Nightscout direction; CareLink has no 45° arrows. */
const DIRECTIONS: Readonly<Record<string, Direction>> = {
  UP_TRIPLE: 'TripleUp',
  UP_DOUBLE: 'DoubleUp',
  UP: 'SingleUp',
  NONE: 'Flat',
  DOWN: 'SingleDown',
  DOWN_DOUBLE: 'DoubleDown',
  DOWN_TRIPLE: 'TripleDown',
};

/** An unknown value gets no arrow rather than an invented one. */
export function trendFor(value: string | null | undefined): Trend | undefined {
  const key = value?.trim().toUpperCase() ?? '';
  const direction = Object.hasOwn(DIRECTIONS, key) ? DIRECTIONS[key] : undefined;
  return direction === undefined ? undefined : trendOf(direction);
}

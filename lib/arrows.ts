import type { Direction } from './domain.js';

/** Nightscout's arrows for each direction (nightscout/cgm-remote-monitor lib/plugins/direction.js). */
export const ARROWS: Record<Direction, string> = {
  TripleUp: '⤊',
  DoubleUp: '⇈',
  SingleUp: '↑',
  FortyFiveUp: '↗',
  Flat: '→',
  FortyFiveDown: '↘',
  SingleDown: '↓',
  DoubleDown: '⇊',
  TripleDown: '⤋',
  'NOT COMPUTABLE': '-',
  'RATE OUT OF RANGE': '⇕',
  NONE: '⇼',
};

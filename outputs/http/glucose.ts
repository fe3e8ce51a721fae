import type { Direction } from '../../lib/domain.js';
import type { Reading } from '../../lib/status/types.js';
import { toMmol } from '../../lib/units.js';

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

/** One reading as `/glucose/latest` and `/glucose` show it. */
export interface GlucoseJson {
  /** mg/dL (Nightscout's name). */
  sgv: number;
  mgdl: number;
  mmol: number;
  direction: Direction | null;
  arrow: string | null;
  /** ISO 8601, UTC. */
  date: string;
  dateMs: number;
  /** How old the reading is now: a client must not show an old value as current. */
  ageSeconds: number;
  source: string;
  bridge: string;
}

export function glucoseJson(r: Reading, nowMs: number): GlucoseJson {
  return {
    sgv: r.sgv,
    mgdl: r.sgv,
    mmol: toMmol(r.sgv),
    direction: r.direction ?? null,
    arrow: r.direction ? ARROWS[r.direction] : null,
    date: new Date(r.date).toISOString(),
    dateMs: r.date,
    ageSeconds: Math.max(0, Math.floor((nowMs - r.date) / 1000)),
    source: r.source,
    bridge: r.bridge,
  };
}

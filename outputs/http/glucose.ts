import type { Direction } from '../../lib/domain.js';
import type { Reading } from './cache/types.js';
import { ARROWS } from '../../lib/arrows.js';
import { toMmol } from '../../lib/units.js';


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

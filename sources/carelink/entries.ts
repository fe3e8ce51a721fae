import type { Entry } from '../../lib/domain.js';
import { sgvEntry } from '../../lib/sgv-entry.js';
import type { PumpClock } from './clock.js';
import { toMgdl, type PatientData, type Sg } from './patient-data.js';
import { APP_NAME } from '../../lib/version.js';
import { CARELINK_DEVICE } from './stamp.js';
import { trendFor } from './trend.js';

interface Timed {
  sg: number;
  date: number;
}

function timeText(sg: Sg): string | undefined {
  return sg.datetime ?? sg.timestamp ?? undefined;
}

/**
 * `sgs` (and `lastSG`) → sgv entries, oldest first, one per time. `sg == 0` is no value (warm-up,
 * calibration, gap) and is skipped. `lastSGTrend` belongs to the newest SG only, so only the newest
 * entry gets a direction, and only when that newest SG is a value.
 */
export function toEntries(data: PatientData, clock: PumpClock): Entry[] {
  const units = data.bgUnits ?? data.bgunits;
  const all: Timed[] = [];
  for (const sg of [...(data.sgs ?? []), ...(data.lastSG ? [data.lastSG] : [])]) {
    const text = timeText(sg);
    if (text === undefined) continue;
    all.push({ sg: sg.sg ?? 0, date: clock.toUtc(text) });
  }
  const newest = all.reduce<Timed | undefined>((best, t) => (best === undefined || t.date > best.date ? t : best), undefined);
  const trend = trendFor(data.lastSGTrend);
  const byDate = new Map<number, Entry>();
  for (const timed of all) {
    const { sg, date } = timed;
    if (sg <= 0 || byDate.has(date)) continue;
    // The newest SG is the first of its time in `all`, so it is the one kept for that time.
    const reading = { sgv: toMgdl(sg, units), date, device: CARELINK_DEVICE, app: APP_NAME, utcOffset: clock.zoneMinutes };
    byDate.set(date, sgvEntry({ ...reading, trend: timed === newest ? trend : undefined }));
  }
  return [...byDate.values()].sort((a, b) => a.date - b.date);
}

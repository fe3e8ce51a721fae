import { z } from 'zod';
import type { Batch, Entry } from '../../lib/domain.js';
import { sgvEntry } from '../../lib/sgv-entry.js';
import { firstIssue } from '../../lib/zod-issue.js';
import { APP_NAME } from '../../lib/version.js';
import { dexError } from './errors.js';
import { parseShareTime } from './timestamps.js';
import { trendFor } from './trend.js';

/**
 * The `device` on every Dexcom Share document. It is part of every sync identifier
 * (`<device>_<date>`), so changing it would make outputs store every reading twice: keep it.
 * `share2` is what share2nightscout-bridge stamped, so sites fed by it before see the same name.
 */
export const SHARE_DEVICE = 'share2';

/** Share's sentinels (cgm-remote-monitor PR#7207): the sensor reads below / above its range. */
export const LOW_SENTINEL = 39;
export const HIGH_SENTINEL = 401;

const readingSchema = z.looseObject({
  WT: z.string(),
  ST: z.string().optional(),
  DT: z.string().optional(),
  Value: z.number().int().positive(),
  Trend: z.union([z.string(), z.number(), z.null()]).optional(),
});
const readingsSchema = z.array(readingSchema);
type Reading = z.infer<typeof readingSchema>;

function toEntry(reading: Reading): Entry {
  const wt = parseShareTime(reading.WT);
  if (!wt) throw dexError('DEX015', { params: { value: reading.WT.slice(0, 40) }, cause: new Error(`unparseable WT "${reading.WT.slice(0, 40)}"`) });
  const date = wt.ms;
  const utcOffset = reading.DT === undefined ? undefined : parseShareTime(reading.DT)?.utcOffset;
  const sentinel = reading.Value <= LOW_SENTINEL ? 'LOW' : reading.Value >= HIGH_SENTINEL ? 'HIGH' : undefined;
  const entry = { sgv: reading.Value, date, device: SHARE_DEVICE, app: APP_NAME, trend: trendFor(reading.Trend), utcOffset };
  // 39 and 401 are not measurements but "below / above what the sensor reads": kept as sent, flagged.
  return sgvEntry(entry, sentinel === undefined ? {} : { sentinel });
}

/**
 * Pure: a `ReadPublisherLatestGlucoseValues` answer (newest first) → entries, oldest first, one
 * per `WT`. An empty array is no data, not an error. Throws TransformError DEX014 (shape) or
 * DEX015 (time). Nothing is filtered by the frame's window: outputs dedupe by identifier.
 */
export function transformReadings(raw: unknown): Batch {
  const parsed = readingsSchema.safeParse(raw);
  if (!parsed.success) {
    const where = firstIssue(parsed.error);
    throw dexError('DEX014', { params: { where }, cause: new Error(`${parsed.error.issues.length} schema issue(s), first ${where}`) });
  }
  const byDate = new Map<number, Entry>();
  for (const reading of parsed.data) {
    const entry = toEntry(reading);
    // Newest first: the first copy of a time is the one Share lists on top; keep it.
    if (!byDate.has(entry.date)) byDate.set(entry.date, entry);
  }
  return { entries: [...byDate.values()].sort((a, b) => a.date - b.date), treatments: [], devicestatus: [] };
}

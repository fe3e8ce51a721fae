import { z } from 'zod';
import { emptyBatch, type Batch, type Entry, type Trend } from '../../lib/domain.js';
import { sgvEntry } from '../../lib/sgv-entry.js';
import { MGDL_PER_MMOL } from '../../lib/units.js';
import { APP_NAME } from '../../lib/version.js';
import { num, parseRows, recordSchema, recordTime, zoneSchema } from './records.js';
import { glookoInstant, type Instant } from './timezone.js';
import { trendFor } from './trend.js';
import { GLOOKO_DEVICE } from './device-name.js';
import { glkError } from './errors.js';

/**
 * Pure: the CGM loop's raw answer → entries. Values are mg/dL × 100;
 * calculated, soft-deleted and non-positive readings are skipped. The graph's points are used the
 * same way (its `y` only when `value` is missing, in the account's display unit) and carry no trend.
 * One entry per time: a raw reading wins over a graph point for the same moment.
 */

const egvSchema = recordSchema.extend({
  glucoseValue: num,
  value: num,
  calculated: z.boolean().nullish(),
  trendArrow: z.string().nullish(),
  trend: z.string().nullish(),
});

const pointSchema = z.looseObject({
  x: num,
  y: num,
  value: num,
  timestamp: z.string().nullish(),
  calculated: z.boolean().nullish(),
  softDeleted: z.boolean().nullish(),
});

export const cgmRawSchema = z.object({
  zone: zoneSchema,
  meterUnits: z.string().optional(),
  egvs: z.array(z.unknown()),
  graph: z.array(z.unknown()),
});
export type CgmRaw = z.infer<typeof cgmRawSchema>;

/** A usable reading: not calculated, not deleted, above zero. */
export function usableEgv(row: z.infer<typeof egvSchema>): number | undefined {
  if (row.calculated === true || row.softDeleted === true) return undefined;
  const raw = row.glucoseValue ?? row.value;
  return raw != null && raw > 0 ? Math.round(raw / 100) : undefined;
}

/** How many rows of an egvs answer are readings we would store (the graph fallback's test). */
export function countUsable(rows: readonly unknown[]): number {
  return rows.filter((row) => {
    const parsed = egvSchema.safeParse(row);
    return parsed.success && usableEgv(parsed.data) !== undefined;
  }).length;
}

function entry(time: { ms: number; utcOffset: number }, sgv: number, trend?: Trend, guid?: string | null): Entry {
  return sgvEntry({ sgv, date: time.ms, device: GLOOKO_DEVICE, app: APP_NAME, trend, utcOffset: time.utcOffset }, guid ? { glookoGuid: guid } : {});
}

function pointValue(point: z.infer<typeof pointSchema>, meterUnits: string | undefined): number | undefined {
  if (point.value != null) return point.value > 0 ? Math.round(point.value / 100) : undefined;
  if (point.y == null || point.y <= 0) return undefined;
  return /^mmol/i.test(meterUnits ?? '') ? Math.round(point.y * MGDL_PER_MMOL) : Math.round(point.y);
}

/**
 * In the repeated autumn hour every wall time comes twice and EGVs carry no offset. Glooko lists
 * records in upload order, so a second reading (another guid) at a wall time already taken is the
 * one from after the clock went back — not a duplicate to drop.
 */
function secondPass(byDate: ReadonlyMap<number, Entry>, instant: Instant, guid: string | null | undefined): { ms: number; utcOffset: number } {
  const taken = byDate.get(instant.ms);
  if (!instant.second || !taken || !guid || taken.glookoGuid === undefined || taken.glookoGuid === guid) return instant;
  return instant.second;
}

export function transformCgm(raw: unknown): Batch {
  const parsed = cgmRawSchema.safeParse(raw);
  if (!parsed.success) throw glkError('GLK016', { params: { feed: 'egvs', where: parsed.error.issues[0]?.path.join('.') ?? '(root)' } });
  const { zone, meterUnits } = parsed.data;
  const byDate = new Map<number, Entry>();
  for (const row of parseRows('egvs', egvSchema, parsed.data.egvs)) {
    const sgv = usableEgv(row);
    const instant = sgv === undefined ? undefined : recordTime('egvs', zone, row);
    if (sgv === undefined || !instant) continue;
    const time = secondPass(byDate, instant, row.guid);
    byDate.set(time.ms, entry(time, sgv, trendFor(row.trendArrow ?? row.trend), row.guid));
  }
  for (const point of parseRows('graph', pointSchema, parsed.data.graph)) {
    if (point.calculated === true || point.softDeleted === true) continue;
    const sgv = pointValue(point, meterUnits);
    const text = point.timestamp ?? (point.x == null ? undefined : new Date(point.x * 1000).toISOString());
    if (sgv === undefined || text === undefined) continue;
    // Graph `x` is the same fake-UTC wall clock as `timestamp`, not a real Unix instant.
    const time = glookoInstant(zone, text);
    if (!time) throw glkError('GLK017', { params: { feed: 'graph', value: text.slice(0, 40) } });
    if (!byDate.has(time.ms)) byDate.set(time.ms, entry(time, sgv));
  }
  return { ...emptyBatch(), entries: [...byDate.values()].sort((a, b) => a.date - b.date) };
}

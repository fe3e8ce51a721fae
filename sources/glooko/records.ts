import { z } from 'zod';
import { glkError } from './errors.js';
import { glookoInstant, parseOffset, type Instant, type Zone } from './timezone.js';

/**
 * What every Glooko record shares: a `guid`, a soft-delete flag and a
 * local wall-clock time in one of a few fields. Loose: the feeds carry many more fields.
 */

const num = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().finite().nullish());

export const recordSchema = z.looseObject({
  guid: z.string().nullish(),
  softDeleted: z.boolean().nullish(),
  pumpTimestamp: z.string().nullish(),
  pumpTimestampUtcOffset: z.string().nullish(),
  displayTime: z.string().nullish(),
  timestamp: z.string().nullish(),
  eventTime: z.string().nullish(),
});
export type GlookoRecord = z.infer<typeof recordSchema>;

export { num };

export const zoneSchema: z.ZodType<Zone> = z.union([
  z.object({ kind: z.literal('iana'), name: z.string().min(1) }),
  z.object({ kind: z.literal('fixed'), minutes: z.number().int() }),
]);

export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown';
}

/** Parses `rows` one by one; a row of the wrong shape fails the batch with GLK016 (the API changed). */
export function parseRows<T>(feed: string, schema: z.ZodType<T>, rows: readonly unknown[]): T[] {
  return rows.map((row, index) => {
    const parsed = schema.safeParse(row);
    if (parsed.success) return parsed.data;
    const where = `${feed}[${index}].${firstIssue(parsed.error)}`;
    throw glkError('GLK016', { params: { feed, where }, cause: new Error(`${parsed.error.issues.length} schema issue(s), first ${where}`) });
  });
}

/**
 * The record's real time: the first time field it has, read in `zone` (an explicit non-Z offset is
 * respected), with its own `pumpTimestampUtcOffset` settling the repeated autumn hour.
 * `undefined` when it has no time at all; GLK017 when it has one we cannot read.
 */
export function recordTime(feed: string, zone: Zone, row: GlookoRecord): Instant | undefined {
  const text = row.pumpTimestamp ?? row.displayTime ?? row.timestamp ?? row.eventTime;
  if (text == null) return undefined;
  const instant = glookoInstant(zone, text, parseOffset(row.pumpTimestampUtcOffset));
  if (!instant) throw glkError('GLK017', { params: { feed, value: text.slice(0, 40) } });
  return instant;
}

import { z } from 'zod';

/**
 * The Nightscout document shapes every part of gluco-hub speaks.
 * Times are epoch milliseconds UTC; `utcOffset` is minutes east of UTC where a vendor gives local time.
 * Extra vendor fields pass through untouched so outputs can forward them.
 */

export const COLLECTIONS = ['entries', 'treatments', 'devicestatus'] as const;
export const collectionSchema = z.enum(COLLECTIONS);
export type Collection = z.infer<typeof collectionSchema>;

export const DIRECTIONS = [
  'TripleUp',
  'DoubleUp',
  'SingleUp',
  'FortyFiveUp',
  'Flat',
  'FortyFiveDown',
  'SingleDown',
  'DoubleDown',
  'TripleDown',
  'NOT COMPUTABLE',
  'RATE OUT OF RANGE',
  'NONE',
] as const;
export const directionSchema = z.enum(DIRECTIONS);
export type Direction = z.infer<typeof directionSchema>;

/** Nightscout's numeric `trend` for a direction (Dexcom's numbering; the triple arrows share the double's). */
export const TREND_NUMBER: Readonly<Record<Direction, number>> = {
  TripleUp: 1,
  DoubleUp: 1,
  SingleUp: 2,
  FortyFiveUp: 3,
  Flat: 4,
  FortyFiveDown: 5,
  SingleDown: 6,
  DoubleDown: 7,
  TripleDown: 7,
  'NOT COMPUTABLE': 8,
  'RATE OUT OF RANGE': 9,
  NONE: 0,
};

/** A reading's arrow as Nightscout stores it: the direction and its numeric `trend`. */
export interface Trend {
  direction: Direction;
  trend: number;
}

export function trendOf(direction: Direction): Trend {
  return { direction, trend: TREND_NUMBER[direction] };
}

const epochMs = z.number().int().min(946_684_800_000, 'date must be epoch milliseconds after 2000-01-01');

const documentBase = {
  /** Epoch milliseconds, UTC. Part of the sync identity. */
  date: epochMs,
  /** Stable per source; part of the sync identity. */
  device: z.string().min(1),
  /** UUIDv5 sync identity, equal to the one Nightscout API v3 computes. */
  identifier: z.uuid(),
  utcOffset: z.number().int().optional(),
  app: z.string().optional(),
};

export const entrySchema = z.looseObject({
  ...documentBase,
  type: z.enum(['sgv', 'mbg', 'cal']),
  /** mg/dL, always, even on mmol/L sites. */
  sgv: z.number().optional(),
  mbg: z.number().optional(),
  dateString: z.string(),
  direction: directionSchema.optional(),
  trend: z.number().int().min(0).max(9).optional(),
  noise: z.number().optional(),
  delta: z.number().optional(),
});
export type Entry = z.infer<typeof entrySchema>;

export const treatmentSchema = z.looseObject({
  ...documentBase,
  eventType: z.string().min(1),
  created_at: z.string(),
  insulin: z.number().optional(),
  carbs: z.number().optional(),
  duration: z.number().optional(),
  absolute: z.number().optional(),
  percent: z.number().optional(),
  notes: z.string().optional(),
  enteredBy: z.string().optional(),
});
export type Treatment = z.infer<typeof treatmentSchema>;

export const deviceStatusSchema = z.looseObject({
  ...documentBase,
  created_at: z.string(),
  uploaderBattery: z.number().optional(),
  uploader: z.looseObject({ battery: z.number().optional() }).optional(),
  pump: z.looseObject({}).optional(),
});
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;

export const batchSchema = z.object({
  entries: z.array(entrySchema),
  treatments: z.array(treatmentSchema),
  devicestatus: z.array(deviceStatusSchema),
});
/** What one fetch produces and every output stores. */
export type Batch = z.infer<typeof batchSchema>;
export type NightscoutDocument = Entry | Treatment | DeviceStatus;

export function emptyBatch(): Batch {
  return { entries: [], treatments: [], devicestatus: [] };
}

export function batchSize(batch: Batch): number {
  return batch.entries.length + batch.treatments.length + batch.devicestatus.length;
}

/** Newest `date` per collection in a batch; a collection with no documents is absent. */
export type NewestDates = Partial<Record<Collection, number>>;

export function newestDates(batch: Batch): NewestDates {
  const out: NewestDates = {};
  for (const c of COLLECTIONS) {
    for (const doc of batch[c]) {
      const prev = out[c];
      if (prev === undefined || doc.date > prev) out[c] = doc.date;
    }
  }
  return out;
}

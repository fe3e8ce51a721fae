import { z } from 'zod';
import { emptyBatch, type Batch, type Treatment } from '../../lib/domain.js';
import { syncIdentifier, uuidV5 } from '../../lib/identity.js';
import { APP_NAME } from '../../lib/version.js';
import { GLOOKO_DEVICE } from './device-name.js';
import { glkError } from './errors.js';
import type { TreatmentFeedKey } from './feeds.js';
import { num, parseRows, recordSchema, recordTime, zoneSchema, type GlookoRecord } from './records.js';

/**
 * Pure: the treatments loop's raw answer (one record list per feed) → Nightscout treatments with
 * the eventType Nightscout's care portal uses. Soft-deleted records are skipped. A record's
 * identifier is made from its Glooko `guid`, so the same record read again (edited, or on another
 * page) updates one treatment instead of adding a second; records without a guid fall back to
 * Nightscout's own `<device>_<date>_<eventType>` identity.
 */

export const treatmentsRawSchema = z.object({
  zone: zoneSchema,
  feeds: z.partialRecord(z.string(), z.array(z.unknown())),
});
export type TreatmentsRaw = z.infer<typeof treatmentsRawSchema>;

const rowSchema = recordSchema.extend({
  insulinDelivered: num,
  carbsInput: num,
  initialDelivery: num,
  extendedDelivery: num,
  extendedBolusDuration: num,
  rate: num,
  percentage: num,
  percent: num,
  duration: num,
  carbs: num,
  carbohydrateGrams: num,
  name: z.string().nullish(),
  type: z.string().nullish(),
  suspendReason: z.string().nullish(),
});
type Row = z.infer<typeof rowSchema>;

/** The fields of one treatment, before time and identity are added. */
interface Fields {
  eventType: string;
  [field: string]: unknown;
}

const positive = (v: number | null | undefined): number | undefined => (v != null && v > 0 ? v : undefined);
const minutes = (seconds: number | null | undefined): number | undefined => (seconds != null && seconds > 0 ? seconds / 60 : undefined);
const round2 = (v: number): number => Math.round(v * 100) / 100;

function normalBolus(row: Row): Fields | undefined {
  const insulin = positive(row.insulinDelivered);
  const carbs = positive(row.carbsInput);
  if (insulin === undefined && carbs === undefined) return undefined;
  const eventType = insulin === undefined ? 'Carb Correction' : carbs === undefined ? 'Correction Bolus' : 'Meal Bolus';
  return { eventType, ...(insulin === undefined ? {} : { insulin }), ...(carbs === undefined ? {} : { carbs }) };
}

/**
 * The whole delivered dose counts at the start: the unit of `extendedBolusDuration` is unverified,
 * and insulin left out of IOB is worse than insulin counted a little early.
 */
function extendedBolus(row: Row): Fields | undefined {
  const now = row.initialDelivery ?? 0;
  const later = row.extendedDelivery ?? 0;
  const total = positive(row.insulinDelivered) ?? positive(now + later);
  if (total === undefined) return undefined;
  const split = now + later > 0 ? { splitNow: Math.round((100 * now) / (now + later)), splitExt: Math.round((100 * later) / (now + later)) } : {};
  const carbs = positive(row.carbsInput);
  return {
    eventType: 'Combo Bolus',
    insulin: round2(total),
    enteredinsulin: round2(total),
    ...split,
    ...(carbs === undefined ? {} : { carbs }),
    ...(row.extendedBolusDuration == null ? {} : { glookoExtendedBolusDuration: row.extendedBolusDuration }),
    notes: 'Glooko extended bolus (whole dose at its start)',
  };
}

function injectionBolus(row: Row): Fields | undefined {
  const insulin = positive(row.insulinDelivered);
  if (insulin === undefined) return undefined;
  return { eventType: 'Correction Bolus', insulin, notes: `Glooko injection${row.name ? ` (${row.name})` : ''}` };
}

function basal(kind: 'scheduled' | 'temporary' | 'suspend') {
  return (row: Row): Fields | undefined => {
    const duration = minutes(row.duration);
    if (duration === undefined) return undefined;
    const base = { eventType: 'Temp Basal', duration, glookoBasalType: kind };
    if (kind === 'suspend') {
      const reason = row.suspendReason ?? row.type;
      return { ...base, absolute: 0, rate: 0, notes: `Glooko: insulin suspended${reason ? ` (${reason})` : ''}` };
    }
    if (row.rate != null && row.rate >= 0) return { ...base, absolute: row.rate, rate: row.rate, notes: `Glooko ${kind} basal` };
    const percentage = row.percentage ?? row.percent;
    // Nightscout's `percent` is the change (−20 = 80 % of the profile); Glooko's is the share.
    if (percentage != null && percentage >= 0) return { ...base, percent: percentage - 100, notes: `Glooko ${kind} basal ${percentage} %` };
    return undefined;
  };
}

function carbEntry(row: Row): Fields | undefined {
  const carbs = positive(row.carbs) ?? positive(row.carbohydrateGrams);
  if (carbs === undefined) return undefined;
  return { eventType: 'Carb Correction', carbs, ...(row.name ? { notes: row.name } : {}) };
}

/** Pump event `type`, normalised (lower case, letters and digits only) → care portal eventType. */
const EVENT_TYPES: Record<string, string> = {
  podactivating: 'Site Change',
  podactivated: 'Site Change',
  podchange: 'Site Change',
  setsitechange: 'Site Change',
  sitechange: 'Site Change',
  infusionsetchange: 'Site Change',
  cannulachange: 'Site Change',
  cannulafill: 'Site Change',
  reservoirchange: 'Insulin Change',
  insulinchange: 'Insulin Change',
  cartridgechange: 'Insulin Change',
  cgmsensorchange: 'Sensor Change',
  sensorchange: 'Sensor Change',
  sensorstart: 'Sensor Start',
  cgmsensorstart: 'Sensor Start',
  batterychange: 'Pump Battery Change',
  pumpbatterychange: 'Pump Battery Change',
};

/** Only the changes Nightscout tracks ages for; other pump events (alarms, time changes) are not treatments. */
function pumpEvent(row: Row): Fields | undefined {
  const type = row.type ?? '';
  const eventType = EVENT_TYPES[type.toLowerCase().replace(/[^a-z0-9]/g, '')];
  return eventType === undefined ? undefined : { eventType, notes: `Glooko: ${type.replace(/_/g, ' ')}` };
}

const MAPPERS: Record<TreatmentFeedKey, (row: Row) => Fields | undefined> = {
  normalBoluses: normalBolus,
  extendedBoluses: extendedBolus,
  injectionBoluses: injectionBolus,
  scheduledBasals: basal('scheduled'),
  temporaryBasals: basal('temporary'),
  suspendBasals: basal('suspend'),
  foods: carbEntry,
  carbsEvents: carbEntry,
  events: pumpEvent,
};

/** The identifier of a Glooko record: its feed and guid, so two records at one time stay two. */
export function guidIdentifier(feed: string, guid: string): string {
  return uuidV5(`${GLOOKO_DEVICE}_${feed}_${guid}`);
}

function toTreatment(feed: TreatmentFeedKey, row: GlookoRecord, fields: Fields, time: { ms: number; utcOffset: number }): Treatment {
  return {
    ...fields,
    date: time.ms,
    created_at: new Date(time.ms).toISOString(),
    utcOffset: time.utcOffset,
    device: GLOOKO_DEVICE,
    app: APP_NAME,
    enteredBy: `${APP_NAME} (Glooko)`,
    identifier: row.guid ? guidIdentifier(feed, row.guid) : syncIdentifier({ device: GLOOKO_DEVICE, date: time.ms, eventType: fields.eventType }),
    ...(row.guid ? { glookoGuid: row.guid } : {}),
  };
}

export function transformTreatments(raw: unknown): Batch {
  const parsed = treatmentsRawSchema.safeParse(raw);
  if (!parsed.success) throw glkError('GLK016', { params: { feed: 'treatments', where: parsed.error.issues[0]?.path.join('.') ?? '(root)' } });
  const { zone, feeds } = parsed.data;
  // A combined bolus can be listed as normal and extended under one guid; the extended record is the whole dose.
  const extendedGuids = new Set(parseRows('extendedBoluses', rowSchema, feeds.extendedBoluses ?? []).flatMap((r) => (r.guid ? [r.guid] : [])));
  const byId = new Map<string, Treatment>();
  for (const feed of Object.keys(MAPPERS) as TreatmentFeedKey[]) {
    for (const row of parseRows(feed, rowSchema, feeds[feed] ?? [])) {
      if (row.softDeleted === true) continue;
      if (feed === 'normalBoluses' && row.guid && extendedGuids.has(row.guid)) continue;
      const fields = MAPPERS[feed](row);
      const time = fields === undefined ? undefined : recordTime(feed, zone, row);
      if (fields === undefined || !time) continue;
      const treatment = toTreatment(feed, row, fields, time);
      // The same guid twice (paged twice, or updated): the later copy is the newer version.
      byId.set(treatment.identifier, treatment);
    }
  }
  return { ...emptyBatch(), treatments: [...byId.values()].sort((a, b) => a.date - b.date) };
}

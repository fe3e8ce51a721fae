import type { Batch, Entry, Treatment, Trend } from '../../lib/domain.js';
import { syncIdentifier } from '../../lib/identity.js';
import { sensorExpiresField } from '../../lib/sensor-expiry.js';
import { APP_NAME } from '../../lib/version.js';
import { sgvEntry } from '../../lib/sgv-entry.js';
import { lluError } from './errors.js';
import { parseLluTimestamp, utcOffsetMinutes } from './timestamps.js';
import { trendForArrow } from './trend.js';
import { firstIssue, graphResponseSchema, type GlucoseItem, type Sensor } from './wire.js';

/**
 * The `device` on every LibreLink Up document. It is part of every sync identifier
 * (`<device>_<date>`), so changing it would make outputs store every reading twice: keep it.
 */
export const LLU_DEVICE = 'librelinkup';
export const SENSOR_START = 'Sensor Start';

/** Activations before 2000 are placeholders (`a: 0`), not sensors. */
const MIN_ACTIVATION_S = 946_684_800;

/**
 * How long a sensor LibreLink Up reports lasts. Libre 2 and 3 run 14 days, their Plus versions 15;
 * LLU names neither the model nor the life (`pt` is undocumented), so the sensor end is activation
 * + 14 days: a day early for a Plus, never a day late.
 */
export const LIBRE_SENSOR_LIFE_MS = 14 * 24 * 60 * 60_000;

function timestamp(text: string): number {
  const ms = parseLluTimestamp(text);
  if (ms === undefined) throw lluError('LLU027', { params: { value: text.slice(0, 40) }, cause: new Error(`unparseable timestamp "${text.slice(0, 40)}"`) });
  return ms;
}

function offsetOf(item: GlucoseItem, date: number): number | undefined {
  const local = item.Timestamp === undefined ? undefined : parseLluTimestamp(item.Timestamp);
  return local === undefined ? undefined : utcOffsetMinutes(local, date);
}

/** A graph point gets no `trend`: the history has no arrow and we do not invent one. */
function toEntry(item: GlucoseItem, device: string, trend: Trend | undefined): Entry {
  const date = timestamp(item.FactoryTimestamp);
  return sgvEntry({ sgv: item.ValueInMgPerDl, date, device, app: APP_NAME, trend, utcOffset: offsetOf(item, date) });
}

/**
 * The current reading (fresh, with its arrow) merged over the graph history (5-min points
 * that lag 15–20 min). On the same timestamp the current reading wins: it carries the arrow.
 */
function mergeEntries(history: readonly GlucoseItem[], current: GlucoseItem | undefined, device: string): Entry[] {
  const byDate = new Map<number, Entry>();
  for (const item of history) {
    const entry = toEntry(item, device, undefined);
    byDate.set(entry.date, entry);
  }
  if (current) {
    const entry = toEntry(current, device, trendForArrow(current.TrendArrow));
    byDate.set(entry.date, entry);
  }
  return [...byDate.values()].sort((a, b) => a.date - b.date);
}

/** One `Sensor Start` per activation time, whichever list it came from. */
function sensorStarts(sensors: readonly (Sensor | null | undefined)[], device: string, utcOffset: number | undefined): Treatment[] {
  const byDate = new Map<number, Treatment>();
  for (const sensor of sensors) {
    if (!sensor || sensor.a === undefined || sensor.a < MIN_ACTIVATION_S) continue;
    const date = Math.round(sensor.a) * 1000;
    if (byDate.has(date)) continue;
    byDate.set(date, {
      eventType: SENSOR_START,
      created_at: new Date(date).toISOString(),
      date,
      notes: sensor.sn ? `FreeStyle Libre sensor ${sensor.sn}` : 'FreeStyle Libre sensor (serial unknown)',
      enteredBy: device,
      // Content, not identity: the identifier stays device + date + eventType.
      ...sensorExpiresField(date + LIBRE_SENSOR_LIFE_MS),
      ...(utcOffset === undefined ? {} : { utcOffset }),
      device,
      identifier: syncIdentifier({ device, date, eventType: SENSOR_START }),
      app: APP_NAME,
    });
  }
  return [...byDate.values()].sort((a, b) => a.date - b.date);
}

/**
 * Pure: a `graph` answer → entries and Sensor Start treatments. Throws TransformError
 * LLU026 (shape) or LLU027 (timestamp).
 *
 * Nothing is filtered by the frame's window on purpose: the graph back-fills late (points
 * appear 15–20 min after the fact, sometimes later), so a point older than the window may be
 * new to the outputs. Outputs dedupe by identifier, so sending a known point again is free.
 */
export function transformGraph(raw: unknown, device: string = LLU_DEVICE): Batch {
  const parsed = graphResponseSchema.safeParse(raw);
  if (!parsed.success) {
    const where = firstIssue(parsed.error);
    throw lluError('LLU026', { params: { where }, cause: new Error(`${parsed.error.issues.length} schema issue(s), first ${where}`) });
  }
  const { connection, graphData, activeSensors } = parsed.data.data;
  const current = connection.glucoseMeasurement ?? connection.glucoseItem ?? undefined;
  const entries = mergeEntries(graphData ?? [], current, device);
  const currentOffset = current ? offsetOf(current, timestamp(current.FactoryTimestamp)) : undefined;
  const sensors = [...(activeSensors ?? []).map((s) => s.sensor), connection.sensor];
  return { entries, treatments: sensorStarts(sensors, device, currentOffset), devicestatus: [] };
}

import { z } from 'zod';
import { directionSchema } from '../../lib/domain.js';

/**
 * The MQTT contract, in one place: every topic under the prefix, its payload schema and whether
 * it is retained. Every publish goes through `MqttTopics`, so a topic is
 * defined once; the topic table in docs/outputs/mqtt.md and the tests are written from this file.
 */

/**
 * The `trend` field of the glucose payload: Nightscout's directions in snake_case; `NONE` is
 * published as `null`. Home Assistant's Trend entity shows its own, coarser states (discovery.ts).
 */
export const TRENDS = [
  'triple_up',
  'double_up',
  'single_up',
  'forty_five_up',
  'flat',
  'forty_five_down',
  'single_down',
  'double_down',
  'triple_down',
  'not_computable',
  'rate_out_of_range',
] as const;
export const trendSchema = z.enum(TRENDS);
export type Trend = z.infer<typeof trendSchema>;

const iso = z.iso.datetime();
const epochMs = z.number().int().nonnegative();

/** `<prefix>/glucose` (newest, retained) and `<prefix>/glucose/history` (every reading): version 1. */
export const glucosePayloadSchema = z.object({
  v: z.literal(1),
  /** The reading's sync identity (UUID): consumers dedup on it, a resend after an outage repeats it. */
  identifier: z.string(),
  /** mg/dL, as the sensor reported it. */
  mgdl: z.number(),
  /** mmol/L, one decimal. */
  mmol: z.number(),
  /** The configured display unit and the value in it. */
  unit: z.enum(['mg/dL', 'mmol/L']),
  value: z.number(),
  /** Nightscout's direction (`Flat`, `SingleUp`, …) or null when the source gave none. */
  direction: directionSchema.nullable(),
  /** The direction in snake_case (`forty_five_up`), or null. */
  trend: trendSchema.nullable(),
  /** mg/dL change from the previous reading, when the source gives it. */
  delta: z.number().nullable(),
  /** When the sensor took it: ISO 8601 UTC and epoch ms. */
  date: iso,
  dateMs: epochMs,
  device: z.string(),
  /** Source kind (`linkup`, `simulator`, …) and the bridge that fetched it. */
  source: z.string(),
  bridge: z.string(),
  /** The pinned patient's name or id; absent when not configured or `includePatient` is off. */
  patient: z.string().optional(),
});
export type GlucosePayload = z.infer<typeof glucosePayloadSchema>;

/** `<prefix>/status`: is the data fresh? Retained, republished on every store and every minute. */
export const statusPayloadSchema = z.object({
  v: z.literal(1),
  /** No reading for longer than `staleAfterSeconds` (or none known at all). */
  stale: z.boolean(),
  lastReadingMs: epochMs.nullable(),
  lastReading: iso.nullable(),
  ageSeconds: z.number().int().nonnegative().nullable(),
  staleAfterSeconds: z.number().int().positive(),
});
export type StatusPayload = z.infer<typeof statusPayloadSchema>;

/**
 * `<prefix>/sensor`: when the sensor in use ends, where the source tells it (lib/sensor-expiry.ts).
 * Retained, published when it changes; absent for sources that do not tell it.
 */
export const sensorPayloadSchema = z.object({
  v: z.literal(1),
  expiresAt: iso,
  expiresMs: epochMs,
});
export type SensorPayload = z.infer<typeof sensorPayloadSchema>;

/** `<prefix>/_health`: retained `online: true` while connected; the last will says `online: false`. */
export const healthPayloadSchema = z.object({
  v: z.literal(1),
  online: z.boolean(),
  bridge: z.string().optional(),
  version: z.string().optional(),
  /** When this connection came up. */
  since: iso.optional(),
});
export type HealthPayload = z.infer<typeof healthPayloadSchema>;

/** `<prefix>/_stats`: counters since the process started, retained, refreshed every minute. */
export const statsPayloadSchema = z.object({
  v: z.literal(1),
  startedAt: iso,
  uptimeSeconds: z.number().int().nonnegative(),
  /** Readings published (history), duplicates skipped, stores that failed (then queued). */
  readings: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
  failedStores: z.number().int().nonnegative(),
  /** Broker connections made and lost. */
  connects: z.number().int().nonnegative(),
  disconnects: z.number().int().nonnegative(),
  lastPublishAt: iso.nullable(),
});
export type StatsPayload = z.infer<typeof statsPayloadSchema>;

/** The contract: topic (relative to the prefix) → payload schema and retention. */
export const MQTT_TOPICS = {
  glucose: { schema: glucosePayloadSchema, retain: true },
  'glucose/history': { schema: glucosePayloadSchema, retain: false },
  status: { schema: statusPayloadSchema, retain: true },
  sensor: { schema: sensorPayloadSchema, retain: true },
  _health: { schema: healthPayloadSchema, retain: true },
  _stats: { schema: statsPayloadSchema, retain: true },
} as const;

export type MqttTopic = keyof typeof MQTT_TOPICS;
/** The payload type of each topic: `publish<T>(topic: T, payload: MqttTopics[T])`. */
export type MqttTopics = { [T in MqttTopic]: z.infer<(typeof MQTT_TOPICS)[T]['schema']> };

export function topicOf(prefix: string, topic: MqttTopic): string {
  return `${prefix}/${topic}`;
}

/** Why `prefix` cannot carry our topics, or undefined when it can (MQTT 3.1.1 §4.7, v5 §4.7). */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix.length === 0) return 'it is empty';
  if (/[+#]/.test(prefix)) return 'it contains a wildcard (+ or #), which only subscriptions may use';
  if (prefix.includes('\u0000')) return 'it contains a NUL character';
  if (prefix.startsWith('$')) return 'topics starting with $ are reserved for the broker';
  if (prefix.split('/').some((level) => level.length === 0)) return 'it has an empty level (a leading, trailing or double /)';
  if (Buffer.byteLength(prefix, 'utf8') > 60_000) return 'it is too long';
  return undefined;
}

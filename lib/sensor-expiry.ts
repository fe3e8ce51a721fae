import type { Batch, NightscoutDocument } from './domain.js';
import { isFuture } from './future.js';

/**
 * When the sensor in use ends, where a vendor tells it. A source states it as an extra field on a
 * document it already sends — the LibreLink Up `Sensor Start` treatment, the CareLink devicestatus —
 * so no new document and no changed sync identity: outputs that do not know the field store it as
 * one more pass-through field, and consumers (metrics, Home Assistant) read it from the batch here.
 */
export const SENSOR_EXPIRES_FIELD = 'sensorExpiresAt';

/** No CGM sensor lasts longer (Libre 2 Plus/3 Plus: 15 days); a later end is a wrong field, not a sensor. */
export const MAX_SENSOR_LIFE_MS = 31 * 24 * 60 * 60_000;

/** The field a source adds to the document that describes the sensor. */
export function sensorExpiresField(expiresMs: number): { sensorExpiresAt: string } {
  return { sensorExpiresAt: new Date(expiresMs).toISOString() };
}

export interface SensorExpiry {
  /** Epoch ms the sensor ends. */
  expiresMs: number;
  /** Date of the document that said so: a newer statement replaces an older one. */
  saidAtMs: number;
}

function expiryOf(doc: NightscoutDocument, nowMs: number): SensorExpiry | undefined {
  const text = (doc as Record<string, unknown>)[SENSOR_EXPIRES_FIELD];
  if (typeof text !== 'string' || isFuture(doc.date, nowMs)) return undefined;
  const expiresMs = Date.parse(text);
  // A Nightscout source passes other uploaders' fields through: only a plausible sensor life counts.
  if (!Number.isFinite(expiresMs) || expiresMs <= doc.date - MAX_SENSOR_LIFE_MS || expiresMs > doc.date + MAX_SENSOR_LIFE_MS) return undefined;
  return { expiresMs, saidAtMs: doc.date };
}

/** The sensor end the newest document of a batch states, or undefined when none does. */
export function sensorExpiryOf(batch: Batch, nowMs: number): SensorExpiry | undefined {
  let best: SensorExpiry | undefined;
  for (const doc of [...batch.treatments, ...batch.devicestatus]) {
    const found = expiryOf(doc, nowMs);
    if (found && (best === undefined || found.saidAtMs > best.saidAtMs || (found.saidAtMs === best.saidAtMs && found.expiresMs > best.expiresMs))) best = found;
  }
  return best;
}

/** Keeps the newer statement of two. */
export function newerExpiry(held: SensorExpiry | undefined, found: SensorExpiry | undefined): SensorExpiry | undefined {
  if (found === undefined) return held;
  if (held === undefined || found.saidAtMs >= held.saidAtMs) return found;
  return held;
}

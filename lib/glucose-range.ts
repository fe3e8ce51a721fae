import type { Batch } from './domain.js';
import { errorTable, type ErrorSpec } from './error-table.js';

/**
 * What a CGM can report, as one rule for every source, applied once to every batch after the
 * source's transform (machines/frame.ts). Sensors read about 40–400 (Dexcom, Medtronic) or
 * 40–500 mg/dL (Libre); the band is wider so that no real reading is ever lost, and anything
 * outside it is a broken value (a unit mix-up, a vendor error code, garbage), not glucose.
 *
 * Vendors' LOW/HIGH sentinels are inside the band and stay what they are: Dexcom Share's 39 and
 * 401 are stored as sent, flagged `sentinel: "LOW"` / `"HIGH"` by its transform, which is how
 * Nightscout shows them (39 = LOW, above 400 = HIGH). Nightscout reads an sgv below 39 as a
 * Dexcom error code (`?NA`, `?RF`…, 1–12); those are below the band and not stored either.
 */
export const SGV_MIN_MGDL = 20;
export const SGV_MAX_MGDL = 600;

/** A reading kept out of `sgv`. `mgdl` is health data: only for the debug log. */
export interface ImpossibleReading {
  identifier: string;
  date: number;
  device: string;
  side: 'below' | 'above';
  mgdl: number;
}

export interface ScreenedBatch {
  batch: Batch;
  impossible: ImpossibleReading[];
}

/** Whether a sensor could have reported `mgdl`. */
export function sensorCanReport(mgdl: number): boolean {
  return Number.isFinite(mgdl) && mgdl >= SGV_MIN_MGDL && mgdl <= SGV_MAX_MGDL;
}

/** Pure: the batch without entries whose `sgv` no sensor can report, and those entries. */
export function screenGlucose(batch: Batch): ScreenedBatch {
  const impossible: ImpossibleReading[] = [];
  const entries = batch.entries.filter((entry) => {
    if (entry.sgv === undefined || sensorCanReport(entry.sgv)) return true;
    const side = entry.sgv > SGV_MAX_MGDL ? 'above' : 'below';
    impossible.push({ identifier: entry.identifier, date: entry.date, device: entry.device, side, mgdl: entry.sgv });
    return false;
  });
  return impossible.length === 0 ? { batch, impossible } : { batch: { ...batch, entries }, impossible };
}

export const GLUCOSE_ERRORS = {
  SGV001: {
    kind: 'transform',
    message: '{loop}: {what} from {device} outside what a sensor can report ({min}–{max} mg/dL): {dates}; kept out of sgv, not stored',
    hint: 'the rest of the batch was stored; if it repeats, report it with `gluco-hub capture --json` output',
  },
} as const satisfies Record<string, ErrorSpec>;

export const glucoseError = errorTable<keyof typeof GLUCOSE_ERRORS>(GLUCOSE_ERRORS);

const LISTED = 3;

/** The warning for `readings` (one loop's): dates and which side of the band, never the values. */
export function impossibleWarning(loop: string, readings: readonly ImpossibleReading[]): ReturnType<typeof glucoseError> {
  const sorted = [...readings].sort((a, b) => a.date - b.date);
  const listed = sorted.slice(0, LISTED).map((r) => `${r.side} ${r.side === 'below' ? SGV_MIN_MGDL : SGV_MAX_MGDL} at ${new Date(r.date).toISOString()}`);
  const more = sorted.length > LISTED ? ` and ${sorted.length - LISTED} more` : '';
  const devices = [...new Set(sorted.map((r) => r.device))].join(', ');
  const what = sorted.length === 1 ? 'a glucose reading' : `${sorted.length} glucose readings`;
  return glucoseError('SGV001', { params: { loop, what, device: devices, min: SGV_MIN_MGDL, max: SGV_MAX_MGDL, dates: `${listed.join(', ')}${more}` } });
}

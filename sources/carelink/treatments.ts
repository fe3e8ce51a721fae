import type { Treatment } from '../../lib/domain.js';
import type { PumpClock } from './clock.js';
import { toMgdl, type Marker, type PatientData } from './patient-data.js';
import { stamp } from './stamp.js';

/**
 * `markers` → treatments: a meal and its bolus become one `Meal Bolus`, other boluses a
 * `Correction Bolus` (SmartGuard's auto corrections marked `automatic`), finger sticks and
 * calibrations a `BG Check`. Auto basal deliveries and mode changes are not treatments.
 * Identifiers come from device + time + event type, so a marker seen again in the next poll (or
 * a BG reading CareLink also lists as a calibration) is one treatment.
 */

type Values = Record<string, unknown>;

function values(marker: Marker): Values {
  const { data, ...top } = marker;
  return { ...top, ...(data?.dataValues ?? {}) };
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

function timeOf(marker: Marker): string | undefined {
  return marker.dateTime ?? marker.timestamp ?? marker.displayTime ?? undefined;
}

function insulinOf(v: Values): number | undefined {
  const fast = num(v.deliveredFastAmount) ?? num(v.programmedFastAmount) ?? num(v.bolusAmount);
  const extended = num(v.deliveredExtendedAmount) ?? 0;
  if (fast === undefined && extended === 0) return undefined;
  return Math.round(((fast ?? 0) + extended) * 1000) / 1000;
}

function base(eventType: string, date: number, clock: PumpClock): Treatment {
  return { eventType, created_at: new Date(date).toISOString(), ...stamp(date, clock, eventType), enteredBy: 'gluco-hub (CareLink)' };
}

function bolusFields(v: Values): Partial<Treatment> {
  const extended = num(v.deliveredExtendedAmount);
  const duration = num(v.effectiveDuration);
  return {
    ...(typeof v.bolusType === 'string' ? { bolusType: v.bolusType } : {}),
    ...(extended ? { extendedInsulin: extended } : {}),
    ...(extended && duration ? { duration } : {}),
    ...(num(v.programmedFastAmount) === undefined ? {} : { programmed: num(v.programmedFastAmount) }),
    ...(v.completed === false ? { notes: 'bolus not completed' } : {}),
  };
}

const BG_TYPES = new Set(['BG_READING', 'BG', 'CALIBRATION']);

/** Which insulin marker belongs to a meal: the same `index` (old format), else the same time. */
function pairOf(meal: Marker, insulins: Marker[]): Marker | undefined {
  if (meal.index != null) {
    const byIndex = insulins.find((i) => i.index === meal.index);
    if (byIndex) return byIndex;
  }
  return insulins.find((i) => timeOf(i) === timeOf(meal));
}

export function toTreatments(data: PatientData, clock: PumpClock): Treatment[] {
  const markers = (data.markers ?? []).filter((m) => timeOf(m) !== undefined);
  const units = data.bgUnits ?? data.bgunits;
  const insulins = markers.filter((m) => m.type === 'INSULIN');
  const paired = new Set<Marker>();
  const out = new Map<string, Treatment>();
  const add = (t: Treatment): void => {
    if (!out.has(t.identifier)) out.set(t.identifier, t);
  };

  for (const meal of markers.filter((m) => m.type === 'MEAL')) {
    const v = values(meal);
    const carbs = num(v.amount) ?? num(v.value);
    const bolus = pairOf(meal, insulins.filter((i) => !paired.has(i)));
    if (bolus) paired.add(bolus);
    const insulin = bolus ? insulinOf(values(bolus)) : undefined;
    if (carbs === undefined && insulin === undefined) continue;
    add({
      ...base('Meal Bolus', clock.toUtc(timeOf(meal)!), clock),
      ...(carbs === undefined ? {} : { carbs }),
      ...(insulin === undefined ? {} : { insulin, ...bolusFields(values(bolus!)) }),
    });
  }
  for (const marker of insulins.filter((i) => !paired.has(i))) {
    const v = values(marker);
    const insulin = insulinOf(v);
    if (!insulin) continue;
    const automatic = typeof v.activationType === 'string' && /AUTO/i.test(v.activationType);
    add({
      ...base('Correction Bolus', clock.toUtc(timeOf(marker)!), clock),
      insulin,
      ...bolusFields(v),
      ...(automatic ? { automatic: true, notes: 'SmartGuard auto correction' } : {}),
    });
  }
  for (const marker of markers.filter((m) => BG_TYPES.has(m.type))) {
    const v = values(marker);
    const glucose = num(v.unitValue) ?? num(v.value) ?? num(v.bgValue);
    if (!glucose) continue;
    add({
      ...base('BG Check', clock.toUtc(timeOf(marker)!), clock),
      glucose: toMgdl(glucose, typeof v.bgUnits === 'string' ? v.bgUnits : units),
      glucoseType: 'Finger',
      units: 'mg/dl',
      ...(marker.type === 'CALIBRATION' ? { notes: 'calibration' } : {}),
    });
  }
  return [...out.values()].sort((a, b) => a.date - b.date);
}

import type { Batch, Entry, Treatment } from '../../lib/domain.js';
import { TransformError } from '../../lib/errors.js';
import { syncIdentifier } from '../../lib/identity.js';
import { APP_NAME } from '../../lib/version.js';
import { sgvEntry } from '../../lib/sgv-entry.js';
import { directionForRate } from './direction.js';
import { rawSimulationSchema, type RawPoint, type RawTreatment } from './raw.js';

const EVENT_TYPES = { meal: 'Meal Bolus', correction: 'Correction Bolus', hypo: 'Carb Correction' } as const;

function toEntry(point: RawPoint, device: string): Entry {
  const { direction, trend } = directionForRate(point.rate);
  return {
    type: 'sgv',
    sgv: point.mgdl,
    date: point.t,
    dateString: new Date(point.t).toISOString(),
    direction,
    trend,
    device,
    identifier: syncIdentifier({ device, date: point.t }),
    utcOffset: 0,
    noise: 1,
    app: APP_NAME,
  };
  return sgvEntry({ sgv: point.mgdl, date: point.t, device, app: APP_NAME, trend: directionForRate(point.rate), utcOffset: 0 }, { noise: 1 });
}

function toTreatment(raw: RawTreatment, device: string): Treatment {
  const eventType = EVENT_TYPES[raw.kind];
  return {
    eventType,
    ...(raw.carbs === undefined ? {} : { carbs: raw.carbs }),
    // Carbs for a low come without insulin: Nightscout's Carb Correction carries none.
    ...(raw.kind === 'hypo' ? {} : { insulin: raw.insulin }),
    created_at: new Date(raw.t).toISOString(),
    date: raw.t,
    device,
    identifier: syncIdentifier({ device, date: raw.t, eventType }),
    utcOffset: 0,
    app: APP_NAME,
    enteredBy: device,
  };
}

/** Pure: the simulator's raw answer → Nightscout documents with sync identities. Throws `TransformError` SIM002. */
export function transformSimulation(raw: unknown, device: string): Batch {
  const parsed = rawSimulationSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown issue';
    throw new TransformError('SIM002', `simulator answer does not match its schema (${where})`, {
      cause: parsed.error,
      hint: 'the simulator produced data it cannot read; report this as a bug',
    });
  }
  return {
    entries: parsed.data.points.map((point) => toEntry(point, device)),
    treatments: parsed.data.treatments.map((treatment) => toTreatment(treatment, device)),
    devicestatus: [],
  };
}

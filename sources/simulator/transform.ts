import type { Batch, Entry, Treatment } from '../../lib/domain.js';
import { TransformError } from '../../lib/errors.js';
import { syncIdentifier } from '../../lib/identity.js';
import { sgvEntry } from '../../lib/sgv-entry.js';
import { directionForRate } from './direction.js';
import { rawSimulationSchema, type RawPoint, type RawTreatment } from './raw.js';

/** The `app` every simulated document carries; Nightscout v3 requires one. */
export const SIMULATOR_APP = 'gluco-hub';

const EVENT_TYPES = { meal: 'Meal Bolus', correction: 'Correction Bolus', hypo: 'Carb Correction' } as const;

function toEntry(point: RawPoint, device: string): Entry {
  return sgvEntry({ sgv: point.mgdl, date: point.t, device, app: SIMULATOR_APP, trend: directionForRate(point.rate), utcOffset: 0 }, { noise: 1 });
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
    app: SIMULATOR_APP,
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

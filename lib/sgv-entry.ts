import type { Entry, Trend } from './domain.js';
import { syncIdentifier } from './identity.js';

/** One CGM reading as a source read it: mg/dL at an instant, from a device, with its arrow if it had one. */
export interface SgvReading {
  /** mg/dL. */
  sgv: number;
  /** Epoch ms, UTC. */
  date: number;
  /** The source's stable device name; part of the sync identity, so it never changes. */
  device: string;
  app: string;
  /** No trend, no `direction`: an arrow the sensor did not give is never invented. */
  trend?: Trend | undefined;
  utcOffset?: number | undefined;
}

/**
 * The `sgv` entry every source stores for a reading, with the sync identity Nightscout v3 would
 * compute (`<device>_<date>`). `extra` holds a source's own fields (a sentinel flag, a vendor id).
 */
export function sgvEntry(reading: SgvReading, extra: Readonly<Record<string, unknown>> = {}): Entry {
  const { sgv, date, device, app, trend, utcOffset } = reading;
  return {
    type: 'sgv',
    sgv,
    date,
    dateString: new Date(date).toISOString(),
    ...(trend === undefined ? {} : { direction: trend.direction, trend: trend.trend }),
    ...(utcOffset === undefined ? {} : { utcOffset }),
    ...extra,
    device,
    identifier: syncIdentifier({ device, date }),
    app,
  };
}

import { syncIdentifier } from '../../lib/identity.js';
import { APP_NAME } from '../../lib/version.js';
import type { PumpClock } from './clock.js';

/** The `device` on every CareLink document; part of every sync identifier, so it never changes. */
export const CARELINK_DEVICE = 'carelink';

/** The fields every CareLink document carries: time, zone (when it is a real one) and sync identity. */
export function stamp(date: number, clock: PumpClock, eventType?: string): { date: number; utcOffset?: number; device: string; identifier: string; app: string } {
  return {
    date,
    ...(clock.zoneMinutes === undefined ? {} : { utcOffset: clock.zoneMinutes }),
    device: CARELINK_DEVICE,
    identifier: syncIdentifier({ device: CARELINK_DEVICE, date, eventType }),
    app: APP_NAME,
  };
}

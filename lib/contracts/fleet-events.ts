/**
 * What a fleet process's lease supervisor (app/fleet/) tells its observers (the metrics) about the
 * leases it holds. Low in the tree so the HTTP actor need not import the supervisor.
 */
export type FleetEvent =
  /** After each round: the leases held now, each valid until (local clock, ms), and whether Redis answered. */
  | { type: 'fleet.round'; redisUp: boolean; held: readonly { bridge: string; validUntilMs: number }[] }
  | { type: 'fleet.won'; bridge: string }
  /** `expired`: no renewal reached Redis in time; `taken`: Redis said another process holds it. */
  | { type: 'fleet.lost'; bridge: string; reason: 'expired' | 'taken' }
  /** Given back: at a clean stop, or when the bridge could not start here. */
  | { type: 'fleet.released'; bridges: readonly string[] };

import { Counter, Gauge, type Registry } from 'prom-client';
import type { FleetEvent } from '../../../lib/contracts/fleet-events.js';

const LOST_REASONS = ['expired', 'taken'] as const;

/**
 * The lease metrics of a fleet's process, fed by its supervisor's events: what it holds now, how
 * long each lease has left as this process counts it, whether Redis answered its last round, and
 * how often leases were won, lost and given back. Only a fleet's process registers them.
 */
export function fleetMetrics(registers: Registry[], name: (suffix: string) => string, now: () => number): (event: FleetEvent) => void {
  /** Bridge → until when (local clock, ms) this process trusts its lease. */
  let held = new Map<string, number>();
  let redisUp = false;

  new Gauge({
    name: name('fleet_bridges_held'),
    help: 'Bridges whose lease this process holds (and so runs) now.',
    registers,
    collect() {
      this.set(held.size);
    },
  });
  const remaining = new Gauge({
    name: name('fleet_lease_remaining_seconds'),
    help: "Per bridge held here: the time until this process stops it unless a renewal reaches Redis (its trusted share of the lease time since the last renewal sent).",
    labelNames: ['bridge'],
    registers,
    collect() {
      remaining.reset();
      for (const [bridge, until] of held) remaining.set({ bridge }, Math.max(0, (until - now()) / 1000));
    },
  });
  new Gauge({
    name: name('fleet_redis_up'),
    help: "1 when this process's last lease round reached Redis, 0 when it could not (or none has run yet).",
    registers,
    collect() {
      this.set(redisUp ? 1 : 0);
    },
  });
  const won = new Counter({ name: name('fleet_leases_won_total'), help: 'Leases this process took (each starts the bridge here under a new epoch).', registers });
  const lost = new Counter({
    name: name('fleet_leases_lost_total'),
    help: 'Leases this process lost, by reason: expired (no renewal reached Redis in time) or taken (another process holds it now).',
    labelNames: ['reason'],
    registers,
  });
  const released = new Counter({ name: name('fleet_leases_released_total'), help: 'Leases this process gave back: at a clean stop, or when a bridge could not start here.', registers });
  for (const reason of LOST_REASONS) lost.inc({ reason }, 0);

  return (event) => {
    switch (event.type) {
      case 'fleet.round':
        held = new Map(event.held.map((h) => [h.bridge, h.validUntilMs]));
        redisUp = event.redisUp;
        return;
      case 'fleet.won':
        won.inc();
        return;
      case 'fleet.lost':
        held.delete(event.bridge);
        lost.inc({ reason: event.reason });
        return;
      case 'fleet.released':
        for (const bridge of event.bridges) held.delete(bridge);
        released.inc(event.bridges.length);
        return;
    }
  };
}

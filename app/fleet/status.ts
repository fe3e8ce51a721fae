import { tickMs } from '../../lib/fleet/leases.js';
import type { LeaseRecord } from '../../lib/fleet/lease-read.js';

/** A lease holder as its token names it: `host:pid:random` (app/fleet/index.ts). */
export interface Holder {
  token: string;
  host?: string | undefined;
  pid?: number | undefined;
}

export interface BridgeLease {
  bridge: string;
  /** Named by the config this command read; false: a lease on a bridge only another config names. */
  configured: boolean;
  holder: Holder | null;
  epoch: number;
  remainingMs: number | null;
  /** Since the holder took the lease (this epoch), by Redis's clock: how long the bridge has run in that process. */
  heldForMs: number | null;
  /** The lease time minus the time left: since the holder last renewed it (when it runs with the same lease time). */
  renewedAgoMs: number | null;
  /** Not renewed for two rounds: the holder is stuck, cut off from Redis or dead, and the bridge moves when the lease runs out. */
  late: boolean;
}

export interface FleetStatus {
  leaseMs: number;
  bridges: BridgeLease[];
  /** Per holding process, the bridges it holds, most first. */
  holders: { holder: Holder; bridges: string[] }[];
  /** Configured bridges nobody holds: polled by no process now. */
  unheld: string[];
  /** Held bridges this config does not name: a process runs another config. */
  unconfigured: string[];
}

/** Splits `host:pid:random`; a token of another shape is kept whole, with no host or pid. */
export function parseHolder(token: string): Holder {
  const parts = token.split(':');
  const pid = Number(parts.at(-2));
  if (parts.length < 3 || !Number.isInteger(pid) || pid <= 0) return { token };
  return { token, host: parts.slice(0, -2).join(':'), pid };
}

/** Who holds what, from the leases read (configured bridges first, in config order). */
export function fleetStatus(records: readonly LeaseRecord[], options: { configured: readonly string[]; leaseMs: number }): FleetStatus {
  const configured = new Set(options.configured);
  const lateAfterMs = 2 * tickMs(options.leaseMs);
  // A lease only another config names that ran out since it was found is no news.
  const bridges = records.filter((r) => configured.has(r.bridge) || r.holder !== undefined).map((r): BridgeLease => {
    const renewedAgoMs = r.holder === undefined || r.remainingMs === undefined ? null : Math.max(0, options.leaseMs - r.remainingMs);
    return {
      bridge: r.bridge,
      configured: configured.has(r.bridge),
      holder: r.holder === undefined ? null : parseHolder(r.holder),
      epoch: r.epoch,
      remainingMs: r.holder === undefined ? null : (r.remainingMs ?? null),
      heldForMs: r.holder === undefined ? null : (r.heldForMs ?? null),
      renewedAgoMs,
      late: renewedAgoMs !== null && renewedAgoMs > lateAfterMs,
    };
  });
  const byHolder = new Map<string, { holder: Holder; bridges: string[] }>();
  for (const b of bridges) {
    if (!b.holder) continue;
    const entry = byHolder.get(b.holder.token) ?? { holder: b.holder, bridges: [] };
    entry.bridges.push(b.bridge);
    byHolder.set(b.holder.token, entry);
  }
  return {
    leaseMs: options.leaseMs,
    bridges,
    holders: [...byHolder.values()].sort((a, b) => b.bridges.length - a.bridges.length || a.holder.token.localeCompare(b.holder.token)),
    unheld: bridges.filter((b) => b.configured && !b.holder).map((b) => b.bridge),
    unconfigured: bridges.filter((b) => !b.configured).map((b) => b.bridge),
  };
}

/** One budget's use, all processes together: the last full minute and this one so far. */
export interface BudgetUse {
  kind: 'host' | 'bridge' | 'login';
  /** `host` or `host@address`; a bridge id; a login's hash (never a username). */
  key: string;
  lastMinute: { used: number; waited: number };
  thisMinute: { used: number; waited: number };
  /** Requests a minute the setting allows (vendorBudget), when one is set for this kind. */
  allowedPerMinute?: number;
}

export interface BudgetStatus {
  /** Start of the last full minute (ms). */
  lastMinuteMs: number;
  /** Per vendor host and egress address, every one used in the two minutes. */
  hosts: BudgetUse[];
  /** Bridges and logins that had to wait for their own budget in the two minutes (the others are within theirs). */
  waiting: BudgetUse[];
  /** Bridges and logins counted in the two minutes. */
  counted: { bridges: number; logins: number };
}

type Counts = readonly { kind: BudgetUse['kind']; key: string; used: number; waited: number }[];

/** What `fleet status` says of the vendor budgets, from the per-minute counts (lib/fleet/budget-usage.ts). */
export function budgetStatus(last: Counts, current: Counts, options: { lastMinuteMs: number; allowedPerMinute: Partial<Record<BudgetUse['kind'], number>> }): BudgetStatus {
  const rows = new Map<string, BudgetUse>();
  const add = (counts: Counts, which: 'lastMinute' | 'thisMinute') => {
    for (const c of counts) {
      const id = `${c.kind}\0${c.key}`;
      const allowed = options.allowedPerMinute[c.kind];
      const row = rows.get(id) ?? { kind: c.kind, key: c.key, lastMinute: { used: 0, waited: 0 }, thisMinute: { used: 0, waited: 0 }, ...(allowed === undefined ? {} : { allowedPerMinute: allowed }) };
      row[which] = { used: c.used, waited: c.waited };
      rows.set(id, row);
    }
  };
  add(last, 'lastMinute');
  add(current, 'thisMinute');
  const all = [...rows.values()];
  const busiest = (a: BudgetUse, b: BudgetUse) => b.lastMinute.used + b.thisMinute.used - (a.lastMinute.used + a.thisMinute.used) || a.key.localeCompare(b.key);
  return {
    lastMinuteMs: options.lastMinuteMs,
    hosts: all.filter((r) => r.kind === 'host').sort(busiest),
    waiting: all.filter((r) => r.kind !== 'host' && r.lastMinute.waited + r.thisMinute.waited > 0).sort(busiest),
    counted: { bridges: all.filter((r) => r.kind === 'bridge').length, logins: all.filter((r) => r.kind === 'login').length },
  };
}

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSupervisor, type BridgeSwitch } from '../../app/fleet/supervisor.js';
import type { LeaseStore } from '../../lib/fleet/lease-store.js';
import { createLogger } from '../../lib/logger.js';
import { createMetrics } from '../../outputs/http/metrics/index.js';
import type { BridgeInfo } from '../../outputs/http/cache/types.js';
import { has, metricTypes, parseMetrics, valueOf } from '../outputs/http.metrics-text.js';

/** Starts go on at once: the fake clock runs no event-loop turns of its own. */
const turn = (): Promise<void> => Promise.resolve();

/** The lease metrics of `/metrics`, fed by a real supervisor whose Redis answers as each step says. */

const TTL = 3_000;
/** The supervisor trusts 80 % of the ttl from when a renewal was sent. */
const TRUSTED_S = 2.4;
const T0 = Date.UTC(2026, 11, 7, 4, 0, 0);
const log = createLogger({ level: 'silent', format: 'json' });
const BRIDGES: BridgeInfo[] = ['alice', 'bob', 'carol'].map((id) => ({ id, source: 'simulator', outputs: ['filesystem'], loops: [{ name: 'entries', expectedIntervalMs: 300_000 }] }));

/** A Redis that answers what the test sets: epochs for acquire (once each), true/false for renew; `down` fails every call. */
function scriptedRedis() {
  const state = { epochs: new Map<string, number>(), renewals: new Map<string, boolean>(), down: false, released: [] as string[] };
  const fail = () => Promise.reject(new Error('Connection is closed.'));
  const leases: LeaseStore = {
    // An epoch set is won once: after that another process is taken to hold the bridge.
    acquire: (bridges) => {
      if (state.down) return fail();
      const answer = new Map(bridges.map((b) => [b, state.epochs.get(b) ?? 0]));
      for (const b of bridges) state.epochs.delete(b);
      return Promise.resolve(answer);
    },
    renew: (bridges) => (state.down ? fail() : Promise.resolve(new Map(bridges.map((b) => [b, state.renewals.get(b) ?? true])))),
    release: (bridges) => {
      state.released.push(...bridges);
      return state.down ? fail() : Promise.resolve();
    },
  };
  return { state, leases };
}

const control: BridgeSwitch = { start: () => Promise.resolve(), stop: () => Promise.resolve() };

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('lease metrics fed by the supervisor', () => {
  it('held bridges, time left per lease, Redis up, and leases won, lost (taken, expired) and given back', async () => {
    const metrics = createMetrics({ bridges: BRIDGES, now: () => Date.now(), version: '1.2.3', gitSha: 'abc', fleet: true });
    const scrape = async () => parseMetrics(await metrics.render());
    const before = await scrape();
    expect(valueOf(before, 'gluco_hub_fleet_bridges_held')).toBe(0);
    expect(valueOf(before, 'gluco_hub_fleet_redis_up')).toBe(0);
    expect(valueOf(before, 'gluco_hub_fleet_leases_won_total')).toBe(0);
    expect(valueOf(before, 'gluco_hub_fleet_leases_lost_total', { reason: 'expired' })).toBe(0);
    expect(valueOf(before, 'gluco_hub_fleet_leases_lost_total', { reason: 'taken' })).toBe(0);
    expect(valueOf(before, 'gluco_hub_fleet_leases_released_total')).toBe(0);
    expect(has(before, 'gluco_hub_fleet_lease_remaining_seconds')).toBe(false);

    // Round 1: alice and bob are free, carol is another process's.
    const redis = scriptedRedis();
    redis.state.epochs.set('alice', 4).set('bob', 1);
    const supervisor = startSupervisor({ turn, bridges: ['alice', 'bob', 'carol'], leases: redis.leases, ttlMs: TTL, control, log, observe: (e) => metrics.observeFleet!(e) });
    await supervisor.tick();
    let s = await scrape();
    expect(valueOf(s, 'gluco_hub_fleet_bridges_held')).toBe(2);
    expect(valueOf(s, 'gluco_hub_fleet_redis_up')).toBe(1);
    expect(valueOf(s, 'gluco_hub_fleet_leases_won_total')).toBe(2);
    expect(valueOf(s, 'gluco_hub_fleet_lease_remaining_seconds', { bridge: 'alice' })).toBe(TRUSTED_S);
    expect(has(s, 'gluco_hub_fleet_lease_remaining_seconds', { bridge: 'carol' })).toBe(false);

    // The time left counts down between rounds, at scrape time.
    vi.setSystemTime(T0 + 1_000);
    expect(valueOf(await scrape(), 'gluco_hub_fleet_lease_remaining_seconds', { bridge: 'alice' })).toBeCloseTo(TRUSTED_S - 1, 5);

    // Round 2: alice renewed (a full trusted share again), bob taken by another process.
    redis.state.renewals.set('bob', false);
    await supervisor.tick();
    s = await scrape();
    expect(valueOf(s, 'gluco_hub_fleet_bridges_held')).toBe(1);
    expect(valueOf(s, 'gluco_hub_fleet_lease_remaining_seconds', { bridge: 'alice' })).toBe(TRUSTED_S);
    expect(has(s, 'gluco_hub_fleet_lease_remaining_seconds', { bridge: 'bob' })).toBe(false);
    expect(valueOf(s, 'gluco_hub_fleet_leases_lost_total', { reason: 'taken' })).toBe(1);

    // Redis goes away: alice runs on until her lease would expire, then is stopped here.
    redis.state.down = true;
    vi.setSystemTime(T0 + 2_000);
    await supervisor.tick();
    s = await scrape();
    expect(valueOf(s, 'gluco_hub_fleet_redis_up')).toBe(0);
    expect(valueOf(s, 'gluco_hub_fleet_bridges_held')).toBe(1);
    expect(valueOf(s, 'gluco_hub_fleet_lease_remaining_seconds', { bridge: 'alice' })).toBeCloseTo(TRUSTED_S - 1, 5);
    vi.setSystemTime(T0 + 1_000 + TRUSTED_S * 1000);
    await supervisor.tick();
    s = await scrape();
    expect(valueOf(s, 'gluco_hub_fleet_bridges_held')).toBe(0);
    expect(valueOf(s, 'gluco_hub_fleet_leases_lost_total', { reason: 'expired' })).toBe(1);
    expect(has(s, 'gluco_hub_fleet_lease_remaining_seconds')).toBe(false);

    // Redis back: alice taken again; a clean stop gives her back.
    redis.state.down = false;
    redis.state.epochs.set('alice', 6);
    await supervisor.tick();
    s = await scrape();
    expect(valueOf(s, 'gluco_hub_fleet_redis_up')).toBe(1);
    expect(valueOf(s, 'gluco_hub_fleet_leases_won_total')).toBe(3);
    await supervisor.stop();
    await supervisor.release();
    s = await scrape();
    expect(redis.state.released).toEqual(['alice']);
    expect(valueOf(s, 'gluco_hub_fleet_leases_released_total')).toBe(1);
    expect(valueOf(s, 'gluco_hub_fleet_bridges_held')).toBe(0);
  });

  it('a bridge that cannot start gives its lease back at once, and leaves the gauges', async () => {
    const metrics = createMetrics({ bridges: BRIDGES, now: () => Date.now(), version: '1.2.3', gitSha: 'abc', fleet: true });
    const redis = scriptedRedis();
    redis.state.epochs.set('alice', 1);
    const refusing: BridgeSwitch = { start: () => Promise.reject(new Error('an output refused')), stop: () => Promise.resolve() };
    const supervisor = startSupervisor({ turn, bridges: ['alice'], leases: redis.leases, ttlMs: TTL, control: refusing, log, observe: (e) => metrics.observeFleet!(e) });
    await supervisor.tick();
    await supervisor.settled();
    const s = parseMetrics(await metrics.render());
    expect(valueOf(s, 'gluco_hub_fleet_leases_won_total')).toBe(1);
    expect(valueOf(s, 'gluco_hub_fleet_leases_released_total')).toBe(1);
    expect(valueOf(s, 'gluco_hub_fleet_bridges_held')).toBe(0);
    expect(has(s, 'gluco_hub_fleet_lease_remaining_seconds')).toBe(false);
    await supervisor.release();
  });

  it('outside a fleet there are no lease metrics, and their events change nothing', async () => {
    const metrics = createMetrics({ bridges: BRIDGES, now: () => Date.now(), version: '1.2.3', gitSha: 'abc' });
    metrics.observeFleet?.({ type: 'fleet.won', bridge: 'alice' });
    metrics.observeFleet?.({ type: 'fleet.round', redisUp: true, held: [{ bridge: 'alice', validUntilMs: T0 + 1 }] });
    expect([...metricTypes(await metrics.render()).keys()].filter((n) => n.startsWith('gluco_hub_fleet_'))).toEqual([]);
  });
});

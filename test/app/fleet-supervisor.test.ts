import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSupervisor, type BridgeSwitch } from '../../app/fleet/supervisor.js';
import type { LeaseStore } from '../../lib/fleet/lease-store.js';
import { createLogger } from '../../lib/logger.js';

const TTL = 3_000;
const log = createLogger({ level: 'silent', format: 'json' });

/** Redis's lease semantics on the fake clock: one holder per bridge until its ttl runs out; `down` makes every call fail. */
function fakeRedis() {
  const leases = new Map<string, { token: string; until: number }>();
  const epochs = new Map<string, number>();
  let down = false;
  const live = (b: string) => {
    const l = leases.get(b);
    return l && l.until > Date.now() ? l : undefined;
  };
  const alive = (token: string): Promise<void> => (dead.has(token) ? new Promise<void>(() => undefined) : Promise.resolve());
  const check = () => {
    if (down) return Promise.reject(new Error('Connection is closed.'));
    return Promise.resolve();
  };
  /** Tokens of processes frozen or killed: their calls never come back, and no more are made. */
  const dead = new Set<string>();
  const storeFor = (token: string): LeaseStore => ({
    async acquire(bridges) {
      await alive(token);
      await check();
      return new Map(
        bridges.map((b) => {
          if (live(b)) return [b, 0];
          leases.set(b, { token, until: Date.now() + TTL });
          epochs.set(b, (epochs.get(b) ?? 0) + 1);
          return [b, epochs.get(b) as number];
        }),
      );
    },
    async renew(bridges) {
      await alive(token);
      await check();
      return new Map(
        bridges.map((b) => {
          const l = live(b);
          if (l?.token !== token) return [b, false];
          l.until = Date.now() + TTL;
          return [b, true];
        }),
      );
    },
    async release(bridges) {
      await alive(token);
      await check();
      for (const b of bridges) if (live(b)?.token === token) leases.delete(b);
    },
  });
  return { storeFor, holder: (b: string) => live(b)?.token, setDown: (v: boolean) => (down = v), kill: (token: string) => dead.add(token) };
}

function switchboard() {
  const running = new Set<string>();
  const starts: string[] = [];
  const control: BridgeSwitch = {
    start: (b) => {
      running.add(b);
      starts.push(b);
      return Promise.resolve();
    },
    stop: (b) => {
      running.delete(b);
      return Promise.resolve();
    },
  };
  return { control, running, starts };
}

describe('fleet supervisor', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('two processes: each bridge runs in exactly one; when the owner dies the other takes its bridges within the ttl', async () => {
    const redis = fakeRedis();
    const a = switchboard();
    const b = switchboard();
    const bridges = ['x', 'y', 'z'];
    const supA = startSupervisor({ bridges, leases: redis.storeFor('A'), ttlMs: TTL, control: a.control, log });
    await vi.advanceTimersByTimeAsync(0);
    const supB = startSupervisor({ bridges, leases: redis.storeFor('B'), ttlMs: TTL, control: b.control, log });
    await vi.advanceTimersByTimeAsync(TTL * 3);
    expect([...a.running].sort()).toEqual(bridges);
    expect(b.running.size).toBe(0);
    expect(supA.epoch('x')).toBe(1);

    // A dies without a word (SIGKILL): no renewals, no release.
    redis.kill('A');
    const died = Date.now();
    await vi.advanceTimersByTimeAsync(TTL + TTL / 3 + 1);
    expect([...b.running].sort()).toEqual(bridges);
    expect(b.starts.length).toBe(3);
    expect(supB.epoch('x')).toBe(2);
    // Never before A's lease ran out in Redis.
    expect(Date.now() - died).toBeGreaterThanOrEqual(TTL);
    expect(supA.held().length).toBe(3);
    await supB.release();
  });

  it('fail-static: Redis out of reach keeps the held bridges until their leases would expire, then stops them; starts none meanwhile', async () => {
    const redis = fakeRedis();
    const a = switchboard();
    const b = switchboard();
    const supA = startSupervisor({ bridges: ['x'], leases: redis.storeFor('A'), ttlMs: TTL, control: a.control, log });
    await vi.advanceTimersByTimeAsync(0);
    const supB = startSupervisor({ bridges: ['x'], leases: redis.storeFor('B'), ttlMs: TTL, control: b.control, log });
    await vi.advanceTimersByTimeAsync(TTL);
    expect(a.running.has('x')).toBe(true);

    redis.setDown(true);
    const lost = Date.now();
    // Still polling a while: the lease holds in Redis too.
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(a.running.has('x')).toBe(true);
    // Stopped no later than the lease's end in Redis (last renewal + ttl), with no one else running it.
    for (let t = 0; t < TTL * 3; t += 100) {
      await vi.advanceTimersByTimeAsync(100);
      if (redis.holder('x') === undefined) expect(a.running.has('x')).toBe(false);
      expect(a.running.has('x') && b.running.has('x')).toBe(false);
    }
    expect(a.running.has('x')).toBe(false);
    expect(b.running.has('x')).toBe(false);
    expect(Date.now() - lost).toBeGreaterThan(TTL);

    // Redis back: exactly one of them runs it again.
    redis.setDown(false);
    await vi.advanceTimersByTimeAsync(TTL);
    expect(Number(a.running.has('x')) + Number(b.running.has('x'))).toBe(1);
    await supA.release();
    await supB.release();
  });

  it('a lease another process took (renewal refused) stops the bridge at once', async () => {
    const redis = fakeRedis();
    const a = switchboard();
    const leases = redis.storeFor('A');
    const sup = startSupervisor({ bridges: ['x'], leases, ttlMs: TTL, control: a.control, log });
    await vi.advanceTimersByTimeAsync(0);
    expect(a.running.has('x')).toBe(true);
    const renew = vi.spyOn(leases, 'renew').mockResolvedValueOnce(new Map([['x', false]]));
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(renew).toHaveBeenCalled();
    expect(a.running.has('x')).toBe(false);
    await sup.release();
  });

  it('stop takes no more bridges but keeps renewing while they drain; release then lets the next owner in at once', async () => {
    const redis = fakeRedis();
    const a = switchboard();
    const b = switchboard();
    const sup = startSupervisor({ bridges: ['x', 'y'], leases: redis.storeFor('A'), ttlMs: TTL, control: a.control, log });
    await vi.advanceTimersByTimeAsync(0);
    await sup.stop();
    const other = startSupervisor({ bridges: ['x', 'y'], leases: redis.storeFor('B'), ttlMs: TTL, control: b.control, log });
    // A drain far longer than the ttl: the leases stay A's.
    await vi.advanceTimersByTimeAsync(TTL * 3);
    expect(redis.holder('x')).toBe('A');
    expect(b.starts).toEqual([]);
    await sup.release();
    expect(redis.holder('x')).toBeUndefined();
    expect(sup.held()).toEqual([]);
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(b.starts.sort()).toEqual(['x', 'y']);
    await other.release();
  });

  it('a bridge that fails to start gives its lease back', async () => {
    const redis = fakeRedis();
    const control: BridgeSwitch = { start: () => Promise.reject(new Error('output refused')), stop: () => Promise.resolve() };
    const sup = startSupervisor({ bridges: ['x'], leases: redis.storeFor('A'), ttlMs: TTL, control, log });
    await vi.advanceTimersByTimeAsync(0);
    expect(redis.holder('x')).toBeUndefined();
    expect(sup.held()).toEqual([]);
    await sup.release();
  });
  it('a slow start (a long back-fill, an output connecting) holds up no renewal: the other process never gets the bridges', async () => {
    const redis = fakeRedis();
    const b = switchboard();
    const started: string[] = [];
    const slow: BridgeSwitch = {
      start: (bridge) => new Promise((resolve) => setTimeout(() => resolve(void started.push(bridge)), TTL * 5)),
      stop: () => Promise.resolve(),
    };
    const supA = startSupervisor({ bridges: ['x', 'y'], leases: redis.storeFor('A'), ttlMs: TTL, control: slow, log });
    await vi.advanceTimersByTimeAsync(0);
    const supB = startSupervisor({ bridges: ['x', 'y'], leases: redis.storeFor('B'), ttlMs: TTL, control: b.control, log });
    await vi.advanceTimersByTimeAsync(TTL * 4);
    expect(b.starts).toEqual([]);
    expect(redis.holder('x')).toBe('A');
    await vi.advanceTimersByTimeAsync(TTL * 2);
    expect(started.sort()).toEqual(['x', 'y']);
    await supA.release();
    await supB.release();
  });
});

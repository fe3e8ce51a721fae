import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSupervisor, type BridgeSwitch } from '../../app/fleet/supervisor.js';
import type { LeaseStore } from '../../lib/fleet/lease-store.js';
import { parseBeat, type ShardStore } from '../../lib/fleet/shard-store.js';
import { preferredShard, type ShardId } from '../../lib/fleet/shards.js';
import { createLogger } from '../../lib/logger.js';
import { captureLog } from '../fakes/capture-log.js';

/** Starts go on at once: the fake clock runs no event-loop turns of its own. */
const turn = (): Promise<void> => Promise.resolve();

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
  /** Set by `restartEmpty`: how long Redis has been up counts from then (long before). */
  let startedAt: number | undefined;
  const storeFor = (token: string): LeaseStore => ({
    waitBeforeTakingMs: () => Promise.resolve(startedAt === undefined ? 0 : Math.max(0, startedAt + TTL * 0.8 + 1_000 - Date.now())),
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
  /** Shard heartbeats: `<count> <token>` per index, gone a ttl after the last beat. */
  const beats = new Map<number, { value: string; until: number }>();
  const shardStoreFor = (token: string, shard: ShardId): ShardStore => ({
    async beat() {
      await alive(token);
      await check();
      beats.set(shard.index, { value: `${shard.count} ${token}`, until: Date.now() + TTL });
      return Array.from({ length: shard.count }, (_, i) => {
        const beat = beats.get(i);
        return parseBeat(beat && beat.until > Date.now() ? beat.value : null);
      });
    },
    async leave() {
      await alive(token);
      await check();
      if (beats.get(shard.index)?.value === `${shard.count} ${token}`) beats.delete(shard.index);
    },
  });
  /** Redis without persistence restarted: every lease and epoch forgotten, its uptime from 0. */
  const restartEmpty = () => {
    leases.clear();
    epochs.clear();
    startedAt = Date.now();
  };
  return { storeFor, shardStoreFor, holder: (b: string) => live(b)?.token, setDown: (v: boolean) => (down = v), kill: (token: string) => dead.add(token), restartEmpty };
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
    const supA = startSupervisor({ turn, bridges, leases: redis.storeFor('A'), ttlMs: TTL, control: a.control, log });
    await vi.advanceTimersByTimeAsync(0);
    const supB = startSupervisor({ turn, bridges, leases: redis.storeFor('B'), ttlMs: TTL, control: b.control, log });
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
    const supA = startSupervisor({ turn, bridges: ['x'], leases: redis.storeFor('A'), ttlMs: TTL, control: a.control, log });
    await vi.advanceTimersByTimeAsync(0);
    const supB = startSupervisor({ turn, bridges: ['x'], leases: redis.storeFor('B'), ttlMs: TTL, control: b.control, log });
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
    const sup = startSupervisor({ turn, bridges: ['x'], leases, ttlMs: TTL, control: a.control, log });
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
    const sup = startSupervisor({ turn, bridges: ['x', 'y'], leases: redis.storeFor('A'), ttlMs: TTL, control: a.control, log });
    await vi.advanceTimersByTimeAsync(0);
    await sup.stop();
    const other = startSupervisor({ turn, bridges: ['x', 'y'], leases: redis.storeFor('B'), ttlMs: TTL, control: b.control, log });
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

  it('Redis restarted empty: nobody takes a free bridge until it has been up a lease time, by when the old holder stopped; never two at once', async () => {
    const redis = fakeRedis();
    const a = switchboard();
    const b = switchboard();
    const supA = startSupervisor({ turn, bridges: ['x'], leases: redis.storeFor('A'), ttlMs: TTL, control: a.control, log });
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(a.running.has('x')).toBe(true);
    redis.restartEmpty();
    // A process that starts (or asks) right after: Redis forgot A's lease, A does not know yet.
    const supB = startSupervisor({ turn, bridges: ['x'], leases: redis.storeFor('B'), ttlMs: TTL, control: b.control, log });
    let both = false;
    for (let t = 0; t < TTL * 3; t += 50) {
      await vi.advanceTimersByTimeAsync(50);
      if (a.running.has('x') && b.running.has('x')) both = true;
    }
    expect(both).toBe(false);
    // One of them runs it again, once Redis has been up a lease time.
    expect(Number(a.running.has('x')) + Number(b.running.has('x'))).toBe(1);
    await supA.release();
    await supB.release();
  });

  it('a bridge that fails to start gives its lease back', async () => {
    const redis = fakeRedis();
    const control: BridgeSwitch = { start: () => Promise.reject(new Error('output refused')), stop: () => Promise.resolve() };
    const sup = startSupervisor({ turn, bridges: ['x'], leases: redis.storeFor('A'), ttlMs: TTL, control, log });
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
    const supA = startSupervisor({ turn, bridges: ['x', 'y'], leases: redis.storeFor('A'), ttlMs: TTL, control: slow, log });
    await vi.advanceTimersByTimeAsync(0);
    const supB = startSupervisor({ turn, bridges: ['x', 'y'], leases: redis.storeFor('B'), ttlMs: TTL, control: b.control, log });
    await vi.advanceTimersByTimeAsync(TTL * 4);
    expect(b.starts).toEqual([]);
    expect(redis.holder('x')).toBe('A');
    await vi.advanceTimersByTimeAsync(TTL * 2);
    expect(started.sort()).toEqual(['x', 'y']);
    await supA.release();
    await supB.release();
  });
});

describe('fleet supervisor with thousands of bridges', () => {
  afterEach(() => vi.useRealTimers());

  it('starts the bridges won in a round a few at a time (startConcurrency), and every one of them', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const redis = fakeRedis();
    const bridges = Array.from({ length: 20 }, (_, i) => `b${i}`);
    let inFlight = 0;
    let most = 0;
    const finish: (() => void)[] = [];
    const control: BridgeSwitch = {
      start: () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        return new Promise<void>((resolve) => finish.push(() => resolve(void (inFlight -= 1))));
      },
      stop: () => Promise.resolve(),
    };
    const sup = startSupervisor({ turn, bridges, leases: redis.storeFor('A'), ttlMs: TTL, control, log, startConcurrency: 3 });
    await vi.advanceTimersByTimeAsync(0);
    expect(sup.held()).toHaveLength(20);
    expect(inFlight).toBe(3);
    while (finish.length > 0) {
      finish.shift()!();
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(most).toBe(3);
    await sup.settled();
    expect(inFlight).toBe(0);
    await sup.release();
  });

  it('lets the event loop run between starts: a timer due during 300 starts of synchronous work fires long before the last', async () => {
    // Real timers: what is proven is that other callbacks (the lease round's timer) get turns.
    const redis = fakeRedis();
    const bridges = Array.from({ length: 300 }, (_, i) => `b${i}`);
    let started = 0;
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const control: BridgeSwitch = {
      start: () => {
        busy(1);
        started += 1;
        return Promise.resolve();
      },
      stop: () => Promise.resolve(),
    };
    let startedWhenTimerFired = -1;
    const sup = startSupervisor({ bridges, leases: redis.storeFor('A'), ttlMs: 600_000, control, log });
    setTimeout(() => (startedWhenTimerFired = started), 0);
    await vi.waitFor(() => expect(started).toBe(300), { timeout: 10_000 });
    expect(startedWhenTimerFired).toBeGreaterThanOrEqual(0);
    expect(startedWhenTimerFired).toBeLessThan(100);
    await sup.release();
  });

  it('says when a lease round ran late (FLEET008): the event loop was held up, and the leases are at risk', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const redis = fakeRedis();
    const captured = captureLog();
    const sup = startSupervisor({ turn, bridges: ['x'], leases: redis.storeFor('A'), ttlMs: TTL, control: switchboard().control, log: captured.log });
    await vi.advanceTimersByTimeAsync(TTL / 3 + 1);
    expect(captured.text()).not.toContain('FLEET008');
    // A stall: the clock moves on 2 s while no timer runs.
    vi.setSystemTime(Date.now() + 2_000);
    await vi.advanceTimersByTimeAsync(TTL / 3);
    const late = captured.lines().find((l) => JSON.stringify(l).includes('FLEET008'));
    expect(late?.msg).toMatch(/lease round ran 2\.\d s late/);
    expect(late?.held).toBe(1);
    await sup.release();
  });
});

describe('fleet supervisor with static shards', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  const BRIDGES = Array.from({ length: 12 }, (_, i) => `person-${i}`);
  const own = (i: number, n = 3) => BRIDGES.filter((b) => preferredShard(b, n) === i).sort();

  /** A process at shard i/3 under its own token; `gen` tells a restarted one apart. */
  function shardProcess(redis: ReturnType<typeof fakeRedis>, index: number, gen = 0) {
    const token = `S${index}.${gen}`;
    const board = switchboard();
    const shard = { index, count: 3 };
    const sup = startSupervisor({ turn, bridges: BRIDGES, leases: redis.storeFor(token), ttlMs: TTL, control: board.control, log, shards: { self: shard, store: redis.shardStoreFor(token, shard) } });
    return { token, sup, ...board };
  }

  /** Steps the clock 100 ms at a time; among the live processes no bridge ever runs twice, and none runs without its lease. */
  async function watch(redis: ReturnType<typeof fakeRedis>, procs: readonly ReturnType<typeof shardProcess>[], ms: number, gaps?: Map<string, number>): Promise<void> {
    const lastSeen = new Map<string, number>();
    for (let t = 0; t < ms; t += 100) {
      await vi.advanceTimersByTimeAsync(100);
      for (const bridge of BRIDGES) {
        const runners = procs.filter((p) => p.running.has(bridge));
        expect(runners.length, `${bridge} runs in ${runners.map((p) => p.token).join(', ')}`).toBeLessThanOrEqual(1);
        if (runners[0]) expect(redis.holder(bridge)).toBe(runners[0].token);
        if (runners.length === 1 && gaps) {
          const since = lastSeen.get(bridge);
          if (since !== undefined) gaps.set(bridge, Math.max(gaps.get(bridge) ?? 0, Date.now() - since));
          lastSeen.set(bridge, Date.now());
        }
      }
    }
  }

  it('each shard runs its own bridges; a killed shard\'s go to the next in order within ttl + a round; restarted, it gets them back with no double poll and no gap over a ttl', async () => {
    const redis = fakeRedis();
    // Every shard has bridges of its own among these.
    for (const i of [0, 1, 2]) expect(own(i).length).toBeGreaterThan(0);
    const [s0, s1, s2] = [0, 1, 2].map((i) => shardProcess(redis, i));
    await watch(redis, [s0!, s1!, s2!], TTL * 2);
    for (const [i, p] of [s0!, s1!, s2!].entries()) expect([...p.running].sort()).toEqual(own(i));

    // Shard 1 dies without a word: shard 2 is next in order and takes its bridges; shard 0 does not.
    redis.kill(s1!.token);
    const died = Date.now();
    await watch(redis, [s0!, s2!], TTL + TTL / 3 + 100);
    expect([...s2!.running].sort()).toEqual([...own(1), ...own(2)].sort());
    expect([...s0!.running].sort()).toEqual(own(0));
    expect(s0!.starts.sort()).toEqual(own(0));
    expect(Date.now() - died).toBeLessThanOrEqual(TTL + TTL / 3 + 100);

    // Shard 1 again (a new process): shard 2 drains its bridges and gives them back; no login, no overlap, a gap under a ttl.
    const back = shardProcess(redis, 1, 1);
    const gaps = new Map<string, number>();
    await watch(redis, [s0!, s2!, back], TTL * 2, gaps);
    expect([...back.running].sort()).toEqual(own(1));
    expect([...s2!.running].sort()).toEqual(own(2));
    for (const bridge of own(1)) expect(gaps.get(bridge) ?? 0).toBeLessThan(TTL);
    // Nothing else moved.
    expect(s0!.starts.sort()).toEqual(own(0));
    expect(s2!.starts.filter((b) => own(2).includes(b)).sort()).toEqual(own(2));
    for (const p of [s0!, s2!, back]) await p.sup.release();
  });

  it('a hand-back drain longer than the ttl keeps the lease renewed: the returning shard starts the bridge only after it stopped, one round later at most', async () => {
    const redis = fakeRedis();
    const s0 = shardProcess(redis, 0);
    // Shard 2 drains slowly: each stop takes two lease times.
    const token = 'S2.slow';
    const running = new Set<string>();
    const slow: BridgeSwitch = {
      start: (b) => Promise.resolve(void running.add(b)),
      stop: (b) => new Promise((resolve) => setTimeout(() => resolve(void running.delete(b)), TTL * 2)),
    };
    const shard2 = { index: 2, count: 3 };
    const sup2 = startSupervisor({ turn, bridges: BRIDGES, leases: redis.storeFor(token), ttlMs: TTL, control: slow, log, shards: { self: shard2, store: redis.shardStoreFor(token, shard2) } });
    const s2 = { token, sup: sup2, running, starts: [] as string[], control: slow };
    await watch(redis, [s0, s2], TTL * 2);
    expect([...running].sort()).toEqual([...own(1), ...own(2)].sort());

    const back = shardProcess(redis, 1, 1);
    await watch(redis, [s0, s2, back], TTL * 1.5);
    // Still draining: the lease is shard 2's, the returning shard has not started them.
    for (const b of own(1)) expect(redis.holder(b)).toBe(token);
    expect(back.running.size).toBe(0);
    // The drain ends at most 2 ttl + a round after the return; the shard takes them at its next round.
    await watch(redis, [s0, s2, back], TTL * 1.5);
    expect([...back.running].sort()).toEqual(own(1));
    expect([...running].sort()).toEqual(own(2));
    for (const p of [s0, s2, back]) await p.sup.release();
  });

  it('two shards dead: the one left runs everything; one stopped cleanly leaves the heartbeats at once and its bridges move at the next round', async () => {
    const redis = fakeRedis();
    const [s0, s1, s2] = [0, 1, 2].map((i) => shardProcess(redis, i));
    await vi.advanceTimersByTimeAsync(TTL);
    redis.kill(s1!.token);
    redis.kill(s2!.token);
    await watch(redis, [s0!], TTL * 2);
    expect([...s0!.running].sort()).toEqual([...BRIDGES].sort());

    const s1b = shardProcess(redis, 1, 1);
    await watch(redis, [s0!, s1b], TTL);
    expect([...s1b.running].sort()).toEqual(own(1));
    // Shard 1's bridges only; shard 2's stay with shard 0 while 2 is dead.
    expect([...s0!.running].sort()).toEqual([...own(0), ...own(2)].sort());

    await s1b.sup.stop();
    s1b.running.clear();
    await s1b.sup.release();
    const released = Date.now();
    await watch(redis, [s0!], TTL / 3 + 100);
    expect([...s0!.running].sort()).toEqual([...BRIDGES].sort());
    expect(Date.now() - released).toBeLessThan(TTL);
    await s0!.sup.release();
  });

  it('Redis out of reach: no heartbeat read, so nothing is handed back or taken beyond its own; held bridges run until their leases would lapse', async () => {
    const redis = fakeRedis();
    const [s0, s2] = [0, 2].map((i) => shardProcess(redis, i));
    await watch(redis, [s0!, s2!], TTL * 2);
    expect([...s2!.running].sort()).toEqual([...own(1), ...own(2)].sort());
    redis.setDown(true);
    const s1 = shardProcess(redis, 1);
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect([...s2!.running].sort()).toEqual([...own(1), ...own(2)].sort());
    await vi.advanceTimersByTimeAsync(TTL);
    expect(s2!.running.size + s0!.running.size + s1.running.size).toBe(0);
    redis.setDown(false);
    await watch(redis, [s0!, s1, s2!], TTL * 2);
    for (const [i, p] of [s0!, s1, s2!].entries()) expect([...p.running].sort()).toEqual(own(i));
    for (const p of [s0!, s1, s2!]) await p.sup.release();
  });
});

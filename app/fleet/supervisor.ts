import type { FleetEvent } from '../../lib/contracts/fleet-events.js';
import { FleetError } from '../../lib/errors.js';
import { applyAcquired, applyRenewals, dropExpired, emptyBook, planTick, tickMs } from '../../lib/fleet/leases.js';
import type { LeaseStore } from '../../lib/fleet/lease-store.js';
import type { ShardStore } from '../../lib/fleet/shard-store.js';
import { planShards, preferredShard, type ShardBeat, type ShardId } from '../../lib/fleet/shards.js';
import { createLimiter } from '../../lib/limiter.js';
import type { Logger } from '../../lib/logger.js';

/** Starts and stops one bridge's poller; the hub's, in `forever`. */
export interface BridgeSwitch {
  start(bridge: string): Promise<void>;
  stop(bridge: string): Promise<void>;
}

export interface SupervisorDeps {
  bridges: readonly string[];
  leases: LeaseStore;
  ttlMs: number;
  control: BridgeSwitch;
  log: Logger;
  now?: () => number;
  /** Told what happens to the leases (the metrics); must not throw. */
  observe?: (event: FleetEvent) => void;
  /** This process's shard and the heartbeats: without them every process tries every free bridge. */
  shards?: { self: ShardId; store: ShardStore };
  /** Bridges starting at once (default 8): see `switchBridge`. */
  startConcurrency?: number;
  /** Lets the event loop run before each start; default one turn (`setImmediate`). Tests on a fake clock give their own. */
  turn?: () => Promise<void>;
}

export interface Supervisor {
  /** The epoch of this process's newest lease on a bridge, for its fenced state writes. */
  epoch(bridge: string): number | undefined;
  /** Bridges this process holds now. */
  held(): string[];
  /** Whether this process's lease on the bridge is still trusted at this moment (its time not yet run out). */
  holds(bridge: string): boolean;
  /** Runs one round at once (tests; the timer runs them every third of the ttl). */
  tick(): Promise<void>;
  /** Resolves once the starts and stops under way have finished. */
  settled(): Promise<void>;
  /**
   * Takes no more bridges; resolves once the starts and stops under way have finished. The held
   * leases are still renewed, so the bridges can drain without another process taking them.
   */
  stop(): Promise<void>;
  /** Ends the rounds and gives up every lease still held (after the bridges stopped), so the next owner need not wait out the ttl. */
  release(): Promise<void>;
}

/**
 * Polls a bridge only while this process holds its lease: every third of the ttl it renews all
 * the leases it holds in one call, stops the bridges whose lease it lost or could not renew in
 * time, and tries to take the free ones. Redis out of reach changes nothing until a lease would
 * expire (fail-static); a bridge is never started without a lease just won.
 */
export function startSupervisor(deps: SupervisorDeps): Supervisor {
  const { leases, ttlMs, control, log } = deps;
  const now = deps.now ?? Date.now;
  const book = emptyBook();
  /** No more bridges taken (stopping). */
  let stopped = false;
  /** No more rounds at all (released). */
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let unreachable = false;
  const tell = (event: FleetEvent): void => {
    try {
      deps.observe?.(event);
    } catch {
      // an observer must never stop the leases
    }
  };
  /** Held, and being drained to hand them back to their preferred shard. */
  const leaving = new Set<string>();
  const startedAt = now();

  const reachable = (): void => {
    if (unreachable) log.info('fleet: Redis answers again; leases renewed and taken as usual');
    unreachable = false;
  };
  const cannotReach = (what: string, cause: unknown): void => {
    if (unreachable) return;
    unreachable = true;
    const err = new FleetError('FLEET002', `cannot ${what}: Redis is out of reach`, { cause, hint: 'held bridges run on until their leases would expire; none is started until Redis answers' });
    log.warn({ err, held: [...book.held.keys()] }, 'fleet: Redis is out of reach; keeping the bridges held until their leases would expire');
  };

  /**
   * Starts and stops run one after another per bridge, apart from the rounds: a slow start (a
   * back-fill, an output connecting) or a drain must never hold up the renewals of the others.
   * Starts also take turns, a few at a time, each after a turn of the event loop: thousands won in
   * one round and started at once run their first steps in one unbroken stretch of promise
   * callbacks (25 s for 2,500 bridges on a loaded 2-core machine), during which no timer fires and
   * so no lease is renewed; every lease of the process then runs out together. Stops never wait
   * for a turn: a lost lease must stop its bridge at once.
   */
  const switching = new Map<string, Promise<void>>();
  const starting = createLimiter(deps.startConcurrency ?? 8);
  const turn = deps.turn ?? ((): Promise<void> => new Promise((resolve) => setImmediate(resolve)));
  function switchBridge(bridge: string, change: () => Promise<void>): void {
    const next = (switching.get(bridge) ?? Promise.resolve()).then(change).catch((err: unknown) => log.error({ err, bridge }, `fleet: could not switch bridge "${bridge}"`));
    switching.set(bridge, next);
    void next.then(() => {
      if (switching.get(bridge) === next) switching.delete(bridge);
    });
  }

  function stopBridges(bridges: readonly string[], why: string): void {
    for (const bridge of bridges) {
      const err = new FleetError('FLEET003', `bridge "${bridge}" stopped here: ${why}`, { hint: 'none: whichever process holds its lease polls it' });
      log.warn({ err, bridge }, `fleet: stopping bridge "${bridge}": ${why}`);
      switchBridge(bridge, () => control.stop(bridge));
    }
  }

  function startBridge(bridge: string): void {
    log.info({ bridge, epoch: book.epochs.get(bridge) }, `fleet: leased bridge "${bridge}" (epoch ${book.epochs.get(bridge)}); starting it`);
    switchBridge(bridge, () => starting.run(async () => {
      await turn();
      // Lost again while it waited its turn or an earlier switch ran, or this process is stopping: nothing to start.
      if (!book.held.has(bridge) || stopped) return;
      try {
        await control.start(bridge);
      } catch (err) {
        // It could not start (an output refused): let another process try it.
        log.error({ err, bridge }, `fleet: bridge "${bridge}" did not start; giving its lease back`);
        book.held.delete(bridge);
        tell({ type: 'fleet.released', bridges: [bridge] });
        await leases.release([bridge]).catch(() => undefined);
      }
    }));
  }

  /**
   * Gives a bridge back to its preferred shard, alive again: the lease stays ours (renewed) while it
   * drains, so it is never polled twice, and is released at once after, so the gap is the drain
   * plus at most one round of the shard taking it. Its session stays in Redis: no new login.
   */
  function handBack(bridge: string, to: number): void {
    leaving.add(bridge);
    log.info({ bridge, shard: to }, `fleet: handing bridge "${bridge}" back to shard ${to}, alive again`);
    switchBridge(bridge, async () => {
      try {
        await control.stop(bridge);
      } finally {
        leaving.delete(bridge);
      }
      if (!book.held.delete(bridge)) return;
      tell({ type: 'fleet.released', bridges: [bridge] });
      await leases.release([bridge]).catch((cause: unknown) => cannotReach('release a handed-back lease', cause));
    });
  }

  /** Beats this shard's heartbeat and says which bridges to ask for; all of them without shards. */
  async function shardRound(): Promise<readonly string[]> {
    const shards = deps.shards;
    if (!shards || stopped) return deps.bridges;
    let beats: ShardBeat[] | null = null;
    try {
      beats = await shards.store.beat();
    } catch (cause) {
      cannotReach('beat the shard heartbeat', cause);
    }
    // For its first ttl a process has not yet seen the heartbeats of shards starting with it: its own bridges only.
    const warm = now() - startedAt >= ttlMs;
    const plan = planShards(shards.self, deps.bridges, new Set(book.held.keys()), warm ? beats : null);
    for (const bridge of plan.handBack) if (!leaving.has(bridge)) handBack(bridge, preferredShard(bridge, shards.self.count));
    return plan.wanted;
  }

  /**
   * Whether free bridges may be taken now: not while a Redis that may have restarted empty could
   * have forgotten leases their holders still trust (lease-store.ts). Not knowing (Redis did not
   * answer) takes nothing either.
   */
  let waitedForRedis = false;
  async function redisUpLongEnough(): Promise<boolean> {
    if (!leases.waitBeforeTakingMs) return true;
    let waitMs: number;
    try {
      waitMs = await leases.waitBeforeTakingMs();
    } catch (cause) {
      cannotReach('ask whether Redis kept its data', cause);
      return false;
    }
    if (waitMs <= 0) {
      waitedForRedis = false;
      return true;
    }
    if (!waitedForRedis) log.info({ waitMs }, `fleet: Redis started moments ago without the fleet's data (new, or restarted empty); taking no free bridge for ${Math.ceil(waitMs / 1000)} s, until no lease from before can still be trusted by its holder`);
    waitedForRedis = true;
    return false;
  }

  async function round(): Promise<void> {
    const wanted = await shardRound();
    const plan = planTick(book, wanted, now());
    dropExpired(book, plan.expired);
    for (const bridge of plan.expired) tell({ type: 'fleet.lost', bridge, reason: 'expired' });
    stopBridges(plan.expired, 'its lease could not be renewed in time');

    if (plan.renew.length > 0) {
      const sentAt = now();
      try {
        const lost = applyRenewals(book, await leases.renew(plan.renew), sentAt, ttlMs);
        reachable();
        for (const bridge of lost) tell({ type: 'fleet.lost', bridge, reason: 'taken' });
        stopBridges(lost, 'another process holds its lease now');
      } catch (cause) {
        cannotReach('renew the leases', cause);
      }
    }
    if (stopped || plan.acquire.length === 0) return;
    if (!(await redisUpLongEnough())) return;
    const sentAt = now();
    let won: string[];
    try {
      won = applyAcquired(book, await leases.acquire(plan.acquire), sentAt, ttlMs);
      reachable();
    } catch (cause) {
      cannotReach('take free bridges', cause);
      return;
    }
    for (const bridge of won) {
      tell({ type: 'fleet.won', bridge });
      startBridge(bridge);
    }
  }

  const report = (): void => tell({ type: 'fleet.round', redisUp: !unreachable, held: [...book.held].map(([bridge, l]) => ({ bridge, validUntilMs: l.validUntil })) });

  async function settled(): Promise<void> {
    while (switching.size > 0) await Promise.all(switching.values());
  }

  const tick = (): Promise<void> => {
    running = running.then(round).finally(report).catch((err: unknown) => log.error({ err }, 'fleet: a supervision round failed'));
    return running;
  };
  /**
   * A round that fires far behind its time means the event loop was held (CPU, GC, a stretch of
   * synchronous work): the same stall, a little longer, costs every lease the process holds. Said
   * when late by more than half a round, at most once a minute.
   */
  let warnedLateAt = Number.NEGATIVE_INFINITY;
  const late = (byMs: number): void => {
    if (byMs <= tickMs(ttlMs) / 2 || now() - warnedLateAt < 60_000) return;
    warnedLateAt = now();
    const err = new FleetError('FLEET008', `the lease round ran ${(byMs / 1000).toFixed(1)} s late: this process's event loop was held up`, {
      hint: 'give the process more CPU, run fewer bridges per process, or raise fleet.leaseMs; a lease runs out after a stall of 80 % of it',
    });
    log.warn({ err, lateMs: byMs, held: book.held.size }, `fleet: ${err.message}`);
  };
  const schedule = (): void => {
    if (ended) return;
    const due = now() + tickMs(ttlMs);
    timer = setTimeout(() => {
      late(now() - due);
      void tick().then(schedule);
    }, tickMs(ttlMs));
  };
  void tick().then(schedule);

  return {
    epoch: (bridge) => book.epochs.get(bridge),
    held: () => [...book.held.keys()],
    holds: (bridge) => (book.held.get(bridge)?.validUntil ?? 0) > now(),
    tick,
    settled,
    async stop() {
      stopped = true;
      await running;
      // Gone from the heartbeats: the other shards ask for its bridges once released, and hand it none.
      await deps.shards?.store.leave().catch((cause: unknown) => cannotReach('remove the shard heartbeat', cause));
      await settled();
    },
    async release() {
      const left = stopped;
      stopped = true;
      ended = true;
      clearTimeout(timer);
      await running;
      if (!left) await deps.shards?.store.leave().catch(() => undefined);
      const held = [...book.held.keys()];
      book.held.clear();
      if (held.length > 0) tell({ type: 'fleet.released', bridges: held });
      await leases.release(held).catch((cause: unknown) => cannotReach('release the leases', cause));
    },
  };
}

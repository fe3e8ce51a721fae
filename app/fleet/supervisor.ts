import type { FleetEvent } from '../../lib/contracts/fleet-events.js';
import { FleetError } from '../../lib/errors.js';
import { applyAcquired, applyRenewals, dropExpired, emptyBook, planTick, tickMs } from '../../lib/fleet/leases.js';
import type { LeaseStore } from '../../lib/fleet/lease-store.js';
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
}

export interface Supervisor {
  /** The epoch of this process's newest lease on a bridge, for its fenced state writes. */
  epoch(bridge: string): number | undefined;
  /** Bridges this process holds now. */
  held(): string[];
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
   */
  const switching = new Map<string, Promise<void>>();
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
    switchBridge(bridge, async () => {
      // Lost again while an earlier switch ran, or this process is stopping: nothing to start.
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
    });
  }

  async function round(): Promise<void> {
    const plan = planTick(book, deps.bridges, now());
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
  const schedule = (): void => {
    if (ended) return;
    timer = setTimeout(() => void tick().then(schedule), tickMs(ttlMs));
  };
  void tick().then(schedule);

  return {
    epoch: (bridge) => book.epochs.get(bridge),
    held: () => [...book.held.keys()],
    tick,
    settled,
    async stop() {
      stopped = true;
      await running;
      await settled();
    },
    async release() {
      stopped = true;
      ended = true;
      clearTimeout(timer);
      await running;
      const held = [...book.held.keys()];
      book.held.clear();
      if (held.length > 0) tell({ type: 'fleet.released', bridges: held });
      await leases.release(held).catch((cause: unknown) => cannotReach('release the leases', cause));
    },
  };
}

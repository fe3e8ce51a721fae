/**
 * The shared request budget of a fleet: per vendor host, at most `requestsPerSecond` requests
 * start per second (a token bucket, one second of burst) and at most `concurrency` are in flight.
 *
 * There is no shared FIFO that one bridge can clog: waiting requests queue per bridge and the
 * host serves the bridges round-robin, each bridge with at most one request in flight. A bridge
 * whose vendor calls hang, or that is refused (bad credentials, a lockout answered at once),
 * therefore costs any other bridge at most one turn.
 */

export interface BudgetPolicy {
  requestsPerSecond: number;
  concurrency: number;
}

export const DEFAULT_BUDGET: BudgetPolicy = { requestsPerSecond: 5, concurrency: 8 };

/** One bridge's view: run a request to `host` when the budget allows. */
export interface RequestGate {
  run<T>(host: string, signal: AbortSignal, send: () => Promise<T>): Promise<T>;
  /** The egress address this bridge's requests leave from (the HTTP client's `localAddress`); absent: the system's choice. */
  readonly localAddress?: string | undefined;
}

/** Who a bridge is to the budget besides its id. */
export interface GateOptions {
  localAddress?: string | undefined;
  /** A stable, secret-free key of the vendor login (lib/fleet/budget-keys.ts); bridges sharing one share its budget. */
  login?: string | undefined;
  /**
   * In a fleet, the bridge whose lease covers this one's requests: its own id, or the follower
   * account's for a person the account follows (one lease for the account and all its people).
   */
  lease?: string | undefined;
}

export interface RequestBudget {
  forBridge(bridgeId: string, options?: GateOptions): RequestGate;
}

/** Budgets are per vendor host × egress address: each address is its own source to the vendor. */
export function budgetHost(host: string, localAddress: string | undefined): string {
  return localAddress === undefined ? host : `${host}@${localAddress}`;
}

/**
 * No budget, only the egress address: a one-off run (`capture`) still leaves from the address
 * the operator chose for this bridge, since the vendor may answer others with 429s or blocks.
 */
export function egressOnly(localAddress: string | undefined): RequestGate | undefined {
  if (localAddress === undefined) return undefined;
  return { localAddress, run: (_host, _signal, send) => send() };
}

interface Waiter {
  start: () => void;
  signal: AbortSignal;
  onAbort: () => void;
}

interface Host {
  tokens: number;
  refilledMs: number;
  inFlight: number;
  /** Bridges with a request in flight here. */
  busy: Set<string>;
  /** Waiting requests per bridge; a bridge is dropped from the map when it has none. */
  queues: Map<string, Waiter[]>;
  /** The bridges in `queues`, in arrival order. */
  turn: string[];
  /** When each waiting bridge was last served (a sequence number); the longest-unserved goes first. */
  served: Map<string, number>;
  sequence: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export function createRequestBudget(policy: BudgetPolicy = DEFAULT_BUDGET, now: () => number = Date.now): RequestBudget {
  const rate = Math.max(0.001, policy.requestsPerSecond);
  const burst = Math.max(1, rate);
  const concurrency = Math.max(1, Math.floor(policy.concurrency));
  const hosts = new Map<string, Host>();

  const hostOf = (name: string): Host => {
    let host = hosts.get(name);
    if (!host) {
      host = { tokens: burst, refilledMs: now(), inFlight: 0, busy: new Set(), queues: new Map(), turn: [], served: new Map(), sequence: 0, timer: undefined };
      hosts.set(name, host);
    }
    return host;
  };

  const refill = (host: Host): void => {
    const t = now();
    host.tokens = Math.min(burst, host.tokens + ((t - host.refilledMs) / 1000) * rate);
    host.refilledMs = t;
  };

  const nextBridge = (host: Host): string | undefined => {
    let best: string | undefined;
    let bestServed = Infinity;
    for (const bridge of host.turn) {
      if (host.busy.has(bridge)) continue;
      const served = host.served.get(bridge) ?? -1;
      if (served < bestServed) [best, bestServed] = [bridge, served];
    }
    return best;
  };

  const forget = (host: Host, bridge: string): void => {
    host.queues.delete(bridge);
    host.turn = host.turn.filter((b) => b !== bridge);
    if (!host.busy.has(bridge)) host.served.delete(bridge);
  };

  const dequeue = (host: Host, bridge: string): Waiter | undefined => {
    const queue = host.queues.get(bridge);
    const waiter = queue?.shift();
    if (queue && queue.length === 0) forget(host, bridge);
    return waiter;
  };

  const dispatch = (name: string, host: Host): void => {
    refill(host);
    while (host.inFlight < concurrency && host.tokens >= 1) {
      const bridge = nextBridge(host);
      if (bridge === undefined) break;
      // This bridge goes to the back of the line, whatever it still has queued.
      host.served.set(bridge, ++host.sequence);
      host.busy.add(bridge);
      const waiter = dequeue(host, bridge);
      if (!waiter) {
        host.busy.delete(bridge);
        continue;
      }
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      host.tokens -= 1;
      host.inFlight++;
      waiter.start();
    }
    const waiting = host.turn.some((b) => !host.busy.has(b));
    if (waiting && host.tokens < 1 && host.inFlight < concurrency && host.timer === undefined) {
      const waitMs = Math.ceil(((1 - host.tokens) / rate) * 1000);
      host.timer = setTimeout(() => {
        host.timer = undefined;
        dispatch(name, host);
      }, waitMs);
      host.timer.unref?.();
    }
    if (host.inFlight === 0 && host.queues.size === 0 && host.timer === undefined && host.tokens >= burst) hosts.delete(name);
  };

  return {
    forBridge(bridge, options = {}) {
      const { localAddress } = options;
      return {
        localAddress,
        run<T>(target: string, signal: AbortSignal, send: () => Promise<T>): Promise<T> {
          if (signal.aborted) return Promise.reject(signal.reason as Error);
          const name = budgetHost(target, localAddress);
          const host = hostOf(name);
          return new Promise<T>((resolve, reject) => {
            const waiter: Waiter = {
              signal,
              start: () => {
                send()
                  .then(resolve, reject)
                  .finally(() => {
                    host.inFlight--;
                    host.busy.delete(bridge);
                    if (!host.queues.has(bridge)) host.served.delete(bridge);
                    dispatch(name, host);
                  });
              },
              onAbort: () => {
                const queue = host.queues.get(bridge);
                const i = queue?.indexOf(waiter) ?? -1;
                if (queue && i >= 0) {
                  queue.splice(i, 1);
                  if (queue.length === 0) forget(host, bridge);
                }
                reject(signal.reason as Error);
              },
            };
            signal.addEventListener('abort', waiter.onAbort, { once: true });
            const queue = host.queues.get(bridge);
            if (queue) queue.push(waiter);
            else {
              host.queues.set(bridge, [waiter]);
              host.turn.push(bridge);
            }
            dispatch(name, host);
          });
        },
      };
    },
  };
}

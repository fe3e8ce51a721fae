/**
 * Which bridges this process may poll, decided from what it holds and the clock alone; the Redis
 * calls are the caller's (lease-store.ts, app/fleet/). A lease counts as ours until `validUntil`:
 * the time its last acquire or renew was *sent* plus a safe share of the ttl. Redis started the
 * ttl later than that, so however slow the answer, this process stops polling before another can
 * take the bridge (fail-static, never fail-double).
 */

export interface HeldLease {
  epoch: number;
  /** Local clock (ms): stop polling the bridge by then unless a renewal moved it on. */
  validUntil: number;
}

export interface LeaseBook {
  readonly held: Map<string, HeldLease>;
  /** The newest epoch each bridge had here, kept after the lease goes: a draining bridge's writes still carry it. */
  readonly epochs: Map<string, number>;
}

export function emptyBook(): LeaseBook {
  return { held: new Map(), epochs: new Map() };
}

/**
 * The share of the ttl a process trusts: a fifth is left for the clock running at a different rate
 * than Redis's and for a stop in progress (a drain finishes its in-flight write).
 */
export function trustedMs(ttlMs: number): number {
  return Math.floor(ttlMs * 0.8);
}

/** How often held leases are renewed (all in one call) and free bridges are tried again. */
export function tickMs(ttlMs: number): number {
  return Math.max(100, Math.floor(ttlMs / 3));
}

export interface TickPlan {
  /** Held, but no renewal reached Redis in time: stop polling them now. */
  expired: string[];
  /** Held and still valid: renew them, all in one call. */
  renew: string[];
  /** Wanted and not held: try to take them. */
  acquire: string[];
}

export function planTick(book: LeaseBook, wanted: readonly string[], now: number): TickPlan {
  const expired: string[] = [];
  const renew: string[] = [];
  for (const [bridge, lease] of book.held) (lease.validUntil <= now ? expired : renew).push(bridge);
  // A bridge that lapsed this tick waits for the next: its stop runs first.
  const acquire = wanted.filter((b) => !book.held.has(b) && !expired.includes(b));
  return { expired, renew, acquire };
}

/** Forgets the leases that lapsed; what the supervisor stops. */
export function dropExpired(book: LeaseBook, expired: readonly string[]): void {
  for (const bridge of expired) book.held.delete(bridge);
}

/** Applies a renewal's answer; returns the bridges whose lease is no longer ours (stop them). */
export function applyRenewals(book: LeaseBook, renewed: ReadonlyMap<string, boolean>, sentAt: number, ttlMs: number): string[] {
  const lost: string[] = [];
  for (const [bridge, ok] of renewed) {
    const lease = book.held.get(bridge);
    if (!lease) continue;
    if (ok) lease.validUntil = sentAt + trustedMs(ttlMs);
    else {
      book.held.delete(bridge);
      lost.push(bridge);
    }
  }
  return lost;
}

/** Applies an acquire's answer (an epoch per won bridge, 0 when another holds it); returns the bridges won (start them). */
export function applyAcquired(book: LeaseBook, acquired: ReadonlyMap<string, number>, sentAt: number, ttlMs: number): string[] {
  const won: string[] = [];
  for (const [bridge, epoch] of acquired) {
    if (epoch <= 0) continue;
    book.held.set(bridge, { epoch, validUntil: sentAt + trustedMs(ttlMs) });
    book.epochs.set(bridge, epoch);
    won.push(bridge);
  }
  return won;
}

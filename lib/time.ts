/** Node fires any setTimeout above this after 1 ms; every computed delay is clamped to it. */
export const MAX_TIMER_MS = 2_147_483_647;

export function clampDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) return 0;
  return Math.min(Math.round(ms), MAX_TIMER_MS);
}

export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  baseMs: number;
  /** No delay is ever longer than this. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, capMs: 30 * 60_000 };

/**
 * Exponential backoff with "equal jitter": half the step fixed, half random, so many bridges that
 * failed together do not retry together. `attempt` counts from 1.
 */
export function backoffMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, rand: () => number = Math.random): number {
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return clampDelay(step / 2 + (rand() * step) / 2);
}

/** A small deterministic PRNG (mulberry32) for seeded jitter and the simulator. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A Nightscout time field (epoch ms or an ISO/date string) in epoch ms; undefined when it is neither. */
export function msOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** The latest of the known times; undefined when none is known. */
export function latest(...values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

/** "~70 s left", "~12 min left". */
export function describeEta(ms: number | undefined): string {
  if (ms === undefined) return 'time left unknown yet';
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 120) return `~${s} s left`;
  const m = Math.round(s / 60);
  return m < 120 ? `~${m} min left` : `~${Math.round(m / 60)} h left`;
}

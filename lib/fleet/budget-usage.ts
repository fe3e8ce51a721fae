import type { Redis } from 'ioredis';
import { literal, scanKeys } from './scan.js';
import type { BudgetKind } from './budget-keys.js';

/**
 * What the fleet-wide budgets were used for, per minute, so `fleet status` can say it: the
 * budgets' own counters live one window (a second) and say nothing a moment later. Per budget key
 * and minute, the requests let through (`used`) and those that had to wait for the window
 * (`waited`). Counted after the fact and never awaited by a request: a lost count costs a number
 * on a status page, never a reading.
 */

export type UsageField = 'used' | 'waited';

const MINUTE_MS = 60_000;
/** Two minutes read back (the last full one and this one), with a minute to spare. */
const KEEP_MS = 3 * MINUTE_MS;

export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS);

/** `<prefix>:~usage:<minute>:<kind>:<field>:<key>`; the key last, as a host key may hold `:`. */
export function usageKey(prefix: string, minute: number, kind: BudgetKind, field: UsageField, key: string): string {
  return `${prefix}:~usage:${minute}:${kind}:${field}:${key}`;
}

export interface UsageRow {
  kind: BudgetKind;
  key: string;
  used: number;
  waited: number;
}

export function parseUsageKey(prefix: string, redisKey: string): { minute: number; kind: BudgetKind; field: UsageField; key: string } | undefined {
  const head = `${prefix}:~usage:`;
  if (!redisKey.startsWith(head)) return undefined;
  const [minute, kind, field, ...rest] = redisKey.slice(head.length).split(':');
  if (kind !== 'host' && kind !== 'bridge' && kind !== 'login') return undefined;
  if (field !== 'used' && field !== 'waited') return undefined;
  if (rest.length === 0 || !Number.isInteger(Number(minute))) return undefined;
  return { minute: Number(minute), kind, field, key: rest.join(':') };
}

export interface UsageCounter {
  count(kind: BudgetKind, field: UsageField, key: string): void;
}

export function redisUsageCounter(redis: Redis, prefix: string, now: () => number = Date.now): UsageCounter {
  return {
    count(kind, field, key) {
      const k = usageKey(prefix, minuteOf(now()), kind, field, key);
      redis
        .multi()
        .incr(k)
        .pexpire(k, KEEP_MS)
        .exec()
        .catch(() => undefined);
    },
  };
}

/** The counts of one minute, per budget key. */
export async function readUsage(redis: Redis, prefix: string, minute: number): Promise<UsageRow[]> {
  const found = await scanKeys(redis, `${literal(prefix)}:~usage:${minute}:*`);
  const values = found.length === 0 ? [] : await redis.mget(...found);
  const rows = new Map<string, UsageRow>();
  found.forEach((redisKey, i) => {
    const parsed = parseUsageKey(prefix, redisKey);
    if (!parsed) return;
    const id = `${parsed.kind}\0${parsed.key}`;
    const row = rows.get(id) ?? { kind: parsed.kind, key: parsed.key, used: 0, waited: 0 };
    row[parsed.field] += Number(values[i] ?? 0) || 0;
    rows.set(id, row);
  });
  return [...rows.values()].sort((a, b) => a.kind.localeCompare(b.kind) || b.used - a.used || a.key.localeCompare(b.key));
}

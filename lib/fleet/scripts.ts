import type { Redis } from 'ioredis';

/**
 * The Lua scripts behind leases and fenced state writes. Redis runs a script atomically, so a
 * check and the change it guards cannot interleave with another process's (the documented
 * single-instance lock: `SET NX PX`, then renew and release only while the token is still ours).
 */

/**
 * KEYS: lease1, epoch1, since1, lease2, …; ARGV: token, ttl ms. Per bridge: its new epoch, or 0 when
 * another holds it. A lease still holding our own token (this process gave up on it locally, say
 * after a stalled event loop, while Redis still had it) is taken again at once, under a new epoch.
 * Each take writes when it happened by Redis's clock, one clock for every process (fleet status).
 */
const ACQUIRE = `
local out = {}
local function take(i)
  local epoch = redis.call('INCR', KEYS[i + 1])
  local now = redis.call('TIME')
  redis.call('SET', KEYS[i + 2], epoch .. ' ' .. now[1] .. ' ' .. now[2])
  return epoch
end
for i = 1, #KEYS, 3 do
  if redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2]) then
    out[#out + 1] = take(i)
  elseif redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    out[#out + 1] = take(i)
  else
    out[#out + 1] = 0
  end
end
return out`;

/** KEYS: leases; ARGV: token, ttl ms. Per lease: 1 renewed, 0 no longer ours (expired or taken). */
const RENEW = `
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out`;

/** KEYS: leases; ARGV: token. Deletes only the leases still ours. */
const RELEASE = `
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then n = n + redis.call('DEL', key) end
end
return n`;

/**
 * KEYS: epoch, target[, second target]; ARGV: epoch ('' = not fenced), op (set | append | del), value.
 * Refused with FENCED unless the writer's epoch is the bridge's current one: a newer owner took the
 * bridge since this writer's lease began, or Redis lost its data (the count started again) and the
 * writer's lease is no longer known there.
 */
const WRITE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[1] ~= '' and current ~= tonumber(ARGV[1]) then
  return redis.error_reply('FENCED epoch is ' .. current .. ', not ' .. ARGV[1])
end
if ARGV[2] == 'set' then
  redis.call('SET', KEYS[2], ARGV[3])
elseif ARGV[2] == 'append' then
  redis.call('APPEND', KEYS[2], ARGV[3])
else
  redis.call('DEL', unpack(KEYS, 2))
end
return current`;

export interface FleetScripts {
  acquire(bridges: readonly { lease: string; epoch: string; since: string }[], token: string, ttlMs: number): Promise<number[]>;
  renew(leases: readonly string[], token: string, ttlMs: number): Promise<boolean[]>;
  release(leases: readonly string[], token: string): Promise<number>;
  write(keys: readonly string[], epoch: number | undefined, op: 'set' | 'append' | 'del', value?: string): Promise<void>;
}

type Script = (numberOfKeys: number, ...args: (string | number)[]) => Promise<unknown>;

/** Whether an error is a write refused by the fence (a newer owner), not Redis out of reach. */
export function isFenced(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('FENCED');
}

/** Registers the scripts on a client (EVALSHA, sent in full once per connection when Redis lacks it). */
export function fleetScripts(redis: Redis): FleetScripts {
  const defined = redis as unknown as Record<string, Script | undefined>;
  if (defined.glucoHubAcquire === undefined) {
    redis.defineCommand('glucoHubAcquire', { lua: ACQUIRE });
    redis.defineCommand('glucoHubRenew', { lua: RENEW });
    redis.defineCommand('glucoHubRelease', { lua: RELEASE });
    redis.defineCommand('glucoHubWrite', { lua: WRITE });
  }
  const run = (name: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> => (defined[name] as Script)(keys.length, ...keys, ...args);
  return {
    async acquire(bridges, token, ttlMs) {
      if (bridges.length === 0) return [];
      const out = (await run('glucoHubAcquire', bridges.flatMap((b) => [b.lease, b.epoch, b.since]), [token, ttlMs])) as number[];
      return out.map(Number);
    },
    async renew(leases, token, ttlMs) {
      if (leases.length === 0) return [];
      const out = (await run('glucoHubRenew', leases, [token, ttlMs])) as number[];
      return out.map((n) => Number(n) === 1);
    },
    async release(leases, token) {
      if (leases.length === 0) return 0;
      return Number(await run('glucoHubRelease', leases, [token]));
    },
    async write(keys, epoch, op, value) {
      await run('glucoHubWrite', keys, [epoch === undefined ? '' : String(epoch), op, value ?? '']);
    },
  };
}

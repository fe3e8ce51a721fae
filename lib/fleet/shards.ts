import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';

/**
 * Static shards: which process should run which bridge, decided from the bridge id and the shard
 * count alone, so every process of a fleet computes the same answer without asking the others.
 * The leases (leases.ts) still guarantee one poller per bridge; shards only say who asks first.
 */

export interface ShardId {
  /** 0 … count − 1. */
  index: number;
  count: number;
}

const MASK = (1n << 64n) - 1n;

/**
 * Jump consistent hash (Lamping & Veach 2014, "A Fast, Minimal Memory, Consistent Hash Algorithm"):
 * a 64-bit key into buckets 0 … count − 1. Growing from N to N + 1 buckets moves ~1/(N + 1) of the
 * keys, each into the new bucket only, never between two old ones.
 */
export function jumpHash(key: bigint, count: number): number {
  let k = key & MASK;
  let b = -1;
  let j = 0;
  while (j < count) {
    b = j;
    k = (k * 2862933555777941757n + 1n) & MASK;
    j = Math.floor((b + 1) * (2 ** 31 / (Number(k >> 33n) + 1)));
  }
  return b;
}

/** A bridge's stable 64-bit key: the first 8 bytes (big-endian) of SHA-256 of its id in UTF-8. */
export function bridgeHashKey(bridge: string): bigint {
  return createHash('sha256').update(bridge, 'utf8').digest().readBigUInt64BE(0);
}

export function preferredShard(bridge: string, count: number): number {
  return jumpHash(bridgeHashKey(bridge), count);
}

const SHARD = /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*$/;
export const MAX_SHARDS = 1_024;

/** `i/N` as given to `--shard`; a message saying what is wrong, or the shard. */
export function parseShard(text: string): ShardId | string {
  const m = SHARD.exec(text);
  if (!m) return `must be i/N (this process's index from 0, then the shard count), e.g. 0/3; got "${text}"`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) return `the shard count must be 1 to ${MAX_SHARDS}; got ${count}`;
  if (index >= count) return `the index must be below the shard count (0 to ${count - 1}); got ${index}/${count}`;
  return { index, count };
}

/**
 * This process's shard: `fleet.shard` (`--shard`, `GLUCO_HUB__FLEET__SHARD`), or, with only
 * `fleet.shards` set, the ordinal a Kubernetes StatefulSet puts at the end of the pod's host name
 * (`gluco-hub-2` → 2). Neither: no shard, every process tries every free bridge.
 */
export function resolveShard(settings: { shard?: ShardId | undefined; shards?: number | undefined }, host: string): ShardId | undefined {
  const { shard, shards } = settings;
  if (shard !== undefined) {
    if (shards !== undefined && shards !== shard.count) {
      throw new ConfigError('CFG013', `fleet.shard says ${shard.count} shards and fleet.shards says ${shards}`, { hint: 'give the same count in both, or set only one' });
    }
    return shard;
  }
  if (shards === undefined) return undefined;
  const ordinal = /-(\d+)$/.exec(host)?.[1];
  if (ordinal === undefined) {
    throw new ConfigError('CFG013', `GLUCO_HUB__FLEET__SHARDS=${shards} is set, but the host name "${host}" does not end in -<ordinal> as a StatefulSet's pods do`, {
      hint: 'run as a StatefulSet, or give this process its shard with --shard i/N (GLUCO_HUB__FLEET__SHARD)',
    });
  }
  const index = Number(ordinal);
  if (index >= shards) {
    throw new ConfigError('CFG013', `the host name "${host}" gives ordinal ${index}, not below GLUCO_HUB__FLEET__SHARDS=${shards}`, {
      hint: 'set GLUCO_HUB__FLEET__SHARDS to the StatefulSet\'s replicas',
    });
  }
  return { index, count: shards };
}

/** What one shard's heartbeat says, as read this round; null when its key is gone (dead or stopped). */
export type ShardBeat = { count: number } | null;

export interface ShardPlan {
  /** Bridges to try to take this round: this shard's own, and those of dead shards ahead of us. */
  wanted: string[];
  /** Held here but their preferred shard is alive again: drain, then release them so it takes them. */
  handBack: string[];
}

/**
 * A shard is alive while its heartbeat key lives and names the same shard count: a process at
 * another count (a change of N under way) computes other preferences and would not take the
 * bridges this one would hand it.
 */
function aliveIn(beats: readonly ShardBeat[], count: number): (shard: number) => boolean {
  return (shard) => beats[shard]?.count === count;
}

/**
 * Who asks for which bridge. Its preferred shard p at once; the next shard in order, p + 1, once p
 * is not alive; p + 2 once p and p + 1 are not; and so on. A shard's heartbeat lives as long as a
 * lease (renewed in the same round), so a dead shard's bridges are free by the time its heartbeat
 * is gone, and exactly one live shard asks first. A bridge held here whose preferred shard is alive
 * again goes back to it. `beats` is null when the heartbeats could not be read: only our own
 * bridges are wanted, none handed back.
 */
export function planShards(self: ShardId, bridges: readonly string[], held: ReadonlySet<string>, beats: readonly ShardBeat[] | null): ShardPlan {
  const { index, count } = self;
  const alive = beats === null ? () => true : aliveIn(beats, count);
  const wanted: string[] = [];
  const handBack: string[] = [];
  for (const bridge of bridges) {
    const p = preferredShard(bridge, count);
    if (p === index) {
      wanted.push(bridge);
      continue;
    }
    if (held.has(bridge)) {
      if (beats !== null && alive(p)) handBack.push(bridge);
      continue;
    }
    let ahead = p;
    while (ahead !== index && !alive(ahead)) ahead = (ahead + 1) % count;
    if (ahead === index) wanted.push(bridge);
  }
  return { wanted, handBack };
}

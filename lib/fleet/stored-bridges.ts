import type { Redis } from 'ioredis';
import { literal, scanKeys } from './scan.js';

/**
 * The bridges whose id starts with one of `stems` that have any key in Redis under the prefix
 * (`<prefix>:<stem>…:<key>`): a fleet's answer to listing a state folder's folders, for commands
 * that find a follower account's people (`<account>-<slug>`) without calling the vendor.
 */
export async function storedBridges(redis: Redis, prefix: string, stems: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const stem of stems) {
    // A bridge id holds no ':' (its schema), so the id is what lies between the prefix and the next one.
    for (const key of await scanKeys(redis, `${literal(prefix)}:${literal(stem)}*`)) found.add(key.slice(prefix.length + 1).split(':')[0]!);
  }
  return [...found].sort();
}

/** The state keys of a bridge kept as lists in Redis (`<prefix>:<bridge>:<key>:lines`): a fleet's answer to listing its folder's `.jsonl` files. */
export async function storedLists(redis: Redis, prefix: string, bridge: string): Promise<string[]> {
  const base = `${prefix}:${bridge}:`;
  return (await scanKeys(redis, `${literal(base)}*:lines`)).map((key) => key.slice(base.length, -':lines'.length)).sort();
}

import type { Redis } from 'ioredis';

/** A literal for a SCAN pattern: Redis's glob treats `* ? [ ] \` as special. */
const literal = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * The bridges whose id starts with one of `stems` that have any key in Redis under the prefix
 * (`<prefix>:<stem>…:<key>`), by a SCAN: a fleet's answer to listing a state folder's folders, for
 * commands that find a follower account's people (`<account>-<slug>`) without calling the vendor.
 */
export async function storedBridges(redis: Redis, prefix: string, stems: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const stem of stems) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${literal(prefix)}:${literal(stem)}*`, 'COUNT', 1000);
      cursor = next;
      // A bridge id holds no ':' (its schema), so the id is what lies between the prefix and the next one.
      for (const key of keys) found.add(key.slice(prefix.length + 1).split(':')[0]!);
    } while (cursor !== '0');
  }
  return [...found].sort();
}

/** The outputs a bridge's queue or rejected list is kept for in Redis (`output-<name>-queue|rejected:lines`). */
export async function storedOutputs(redis: Redis, prefix: string, bridge: string): Promise<string[]> {
  const outputs = new Set<string>();
  const base = `${prefix}:${bridge}:`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${literal(base)}output-*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const match = /^output-(.+)-(queue|rejected):lines$/.exec(key.slice(base.length));
      if (match) outputs.add(match[1]!);
    }
  } while (cursor !== '0');
  return [...outputs].sort();
}

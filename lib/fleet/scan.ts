import type { Redis } from 'ioredis';

/** Text for a SCAN pattern that matches itself only: Redis's glob treats `* ? [ ] \` as special. */
export function literal(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Every key matching a glob, by SCAN (never KEYS: a fleet's Redis may be large and busy). SCAN may
 * return a key more than once while Redis resizes its table; each comes back once here.
 */
export async function scanKeys(redis: Redis, match: string): Promise<string[]> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1_000);
    cursor = next;
    for (const key of keys) found.add(key);
  } while (cursor !== '0');
  return [...found];
}

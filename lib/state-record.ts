import type { z } from 'zod';
import type { StateStore } from './state-store.js';

/** A record that does not match its schema (an older version, a hand edit) counts as absent. */
export async function readRecord<T>(state: StateStore, key: string, schema: z.ZodType<T>): Promise<T | undefined> {
  const parsed = schema.safeParse(await state.read(key));
  return parsed.success ? parsed.data : undefined;
}

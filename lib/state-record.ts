import { z } from 'zod';
import type { StateStore } from './state-store.js';

/** A record that does not match its schema (an older version, a hand edit) counts as absent. */
export async function readRecord<T>(state: StateStore, key: string, schema: z.ZodType<T>): Promise<T | undefined> {
  const parsed = schema.safeParse(await state.read(key));
  return parsed.success ? parsed.data : undefined;
}

/** "Do not log in before": after a vendor lockout or throttle, kept across restarts by every driver. */
export const lockoutSchema = z.object({
  /** Epoch ms before which no login is attempted. */
  notBefore: z.number(),
  /** The error code and message that set it, for the user. */
  reason: z.string(),
});
export type Lockout = z.infer<typeof lockoutSchema>;

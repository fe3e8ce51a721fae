import { z } from 'zod';
import { batchSchema } from '../../lib/domain.js';
import { routerStateSchema } from './router.js';

/** Keys in the bridge's state store, one pair per output. */
export function stateKeys(output: string): { router: string; queue: string } {
  return { router: `output-${output}-router`, queue: `output-${output}-queue` };
}

export { routerStateSchema };

export const queueSchema = z.object({
  v: z.literal(1),
  batch: batchSchema,
});
export type PersistedQueue = z.infer<typeof queueSchema>;

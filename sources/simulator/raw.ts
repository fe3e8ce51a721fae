import { z } from 'zod';

/**
 * The simulator's "vendor" answer, shaped like a cloud API's: bare readings and bolus records
 * that `transform` turns into Nightscout documents. One schema is the single source of truth.
 */

const epochMs = z.number().int().min(946_684_800_000);

export const rawPointSchema = z.object({
  /** Reading time, epoch ms on the simulator's grid. */
  t: epochMs,
  /** Sensor glucose, whole mg/dL. */
  mgdl: z.number().int().min(40).max(400),
  /** Rate of change in mg/dL per minute over the trend lookback, as vendors report with their arrow. */
  rate: z.number().finite(),
});
export type RawPoint = z.infer<typeof rawPointSchema>;

export const rawTreatmentSchema = z.object({
  /** Bolus time (for `hypo`: when the fast carbs for a low were taken), epoch ms. */
  t: epochMs,
  kind: z.enum(['meal', 'correction', 'hypo']),
  /** Grams; meals and lows. */
  carbs: z.number().nonnegative().optional(),
  /** Units; 0 for a low's carbs. */
  insulin: z.number().nonnegative(),
});
export type RawTreatment = z.infer<typeof rawTreatmentSchema>;

export const rawSimulationSchema = z.object({
  points: z.array(rawPointSchema),
  treatments: z.array(rawTreatmentSchema),
});
export type RawSimulation = z.infer<typeof rawSimulationSchema>;

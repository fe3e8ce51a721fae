import { fromPromise } from 'xstate';
import type { Batch, NewestDates } from '../lib/domain.js';
import { screenGlucose, type ScreenedBatch } from '../lib/glucose-range.js';
import type { Output, StoreResult } from '../lib/contracts/output.js';
import type { FetchWindow, SourceLoop } from '../lib/contracts/source.js';
import { fanOut, type Settled } from './fanout.js';

/**
 * The promise actors a frame invokes. Each passes XState's `signal` on, so leaving the state
 * (STOP, or the actor being stopped) aborts the request instead of letting it run unseen.
 */

/** Every output's newest dates; an output that fails or times out counts as knowing nothing. */
export const askNewest = fromPromise<(NewestDates | undefined)[], { outputs: readonly Output[]; timeoutMs: number }>(
  async ({ input, signal }) => {
    const answers = await fanOut(input.outputs, (output, s) => output.newest(s), { timeoutMs: input.timeoutMs, signal });
    return answers.map((a) => (a.ok ? a.value : undefined));
  },
);

export const fetchRaw = fromPromise<unknown, { loop: SourceLoop; session: unknown; window: FetchWindow }>(
  ({ input, signal }) => input.loop.fetch(input.session, input.window, signal),
);

/**
 * `transform` is synchronous; running it here turns a throw into `onError` instead of a crashed
 * machine. Every source's batch then goes through the one glucose rule (lib/glucose-range.ts).
 */
export const transformRaw = fromPromise<ScreenedBatch, { loop: SourceLoop; raw: unknown; window: FetchWindow }>(
  ({ input }) => new Promise<ScreenedBatch>((resolve) => resolve(screenGlucose(input.loop.transform(input.raw, input.window)))),
);

export interface StoreInput {
  outputs: readonly Output[];
  batch: Batch;
  timeoutMs: number;
  /** Reports each output's answer as it arrives. Must not throw. */
  onSettled: (settled: Settled<StoreResult>) => void;
}

export const storeBatch = fromPromise<Settled<StoreResult>[], StoreInput>(({ input, signal }) =>
  fanOut(input.outputs, (output, s) => output.store(input.batch, s), {
    timeoutMs: input.timeoutMs,
    signal,
    onSettled: input.onSettled,
  }),
);

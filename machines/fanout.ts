import { fromPromise } from 'xstate';
import type { Batch, NewestDates } from '../lib/domain.js';
import type { Output, StoreResult } from '../lib/contracts/output.js';
import { withDeadline } from '../lib/deadline.js';
import { clampDelay } from '../lib/time.js';
import { outputTimeout } from './errors.js';

/** One output's answer: a value, or the error (including a timeout) it failed with. */
export type Settled<T> =
  | { output: string; ok: true; value: T }
  | { output: string; ok: false; error: unknown };

export interface FanOutOptions {
  /** No output may take longer than this; a late one is aborted and reported as failed. */
  timeoutMs: number;
  /** Aborting it aborts every output's call (the frame was stopped). */
  signal: AbortSignal;
}

export interface FanOutHooks<T> {
  /** Called as each output answers, so a fast output is reported without waiting for a slow one. */
  onSettled?: (settled: Settled<T>) => void;
}

/**
 * Calls every output in parallel, each with its own timeout and AbortSignal, and waits for all
 * of them: one slow or dead output never holds up another, and never fails the others.
 * Resolves in the order of `outputs`; never rejects.
 */
export async function fanOut<T>(
  outputs: readonly Output[],
  call: (output: Output, signal: AbortSignal) => Promise<T>,
  options: FanOutOptions & FanOutHooks<T>,
): Promise<Settled<T>[]> {
  return Promise.all(
    outputs.map(async (output): Promise<Settled<T>> => {
      let settled: Settled<T>;
      try {
        settled = { output: output.name, ok: true, value: await callWithTimeout(output, call, options) };
      } catch (error) {
        settled = { output: output.name, ok: false, error };
      }
      options.onSettled?.(settled);
      return settled;
    }),
  );
}

async function callWithTimeout<T>(
  output: Output,
  call: (output: Output, signal: AbortSignal) => Promise<T>,
  { timeoutMs, signal }: FanOutOptions,
): Promise<T> {
  const ms = clampDelay(timeoutMs);
  const deadline = withDeadline(signal, ms, () => outputTimeout(output.name, ms));
  try {
    // `then` turns a synchronous throw inside `call` into a rejection like any other.
    return await Promise.race([Promise.resolve().then(() => call(output, deadline.signal)), deadline.passed]);
  } finally {
    deadline.done();
  }
}

/**
 * The frame's two calls to the outputs, as promise actors: XState's `signal` is passed on, so
 * leaving the state (STOP, or the actor being stopped) aborts every output's call.
 */

/** Every output's newest dates; an output that fails or times out counts as knowing nothing. */
export const askNewest = fromPromise<(NewestDates | undefined)[], { outputs: readonly Output[]; timeoutMs: number }>(
  async ({ input, signal }) => {
    const answers = await fanOut(input.outputs, (output, s) => output.newest(s), { timeoutMs: input.timeoutMs, signal });
    return answers.map((a) => (a.ok ? a.value : undefined));
  },
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

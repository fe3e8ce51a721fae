import { assign, enqueueActions, setup, type ActorRef, type Snapshot } from 'xstate';
import { clampDelay } from '../lib/time.js';
import type { FrameResult } from './contract.js';
import type { StopEvent } from './events.js';
import { fetchMachine, type FrameInput } from './fetch.js';
import { nextFrameDelayMs } from './schedule.js';

export interface CycleInput {
  frame: FrameInput;
  /** Run one frame, then finish with its result. */
  once: boolean;
  /** Wait this long before the first frame (a respawned cycle must not hammer the vendor). */
  initialDelayMs?: number;
}

/** What a finished cycle reports: its loop and the last frame's result (absent if none ran). */
export interface CycleOutput {
  loop: string;
  result?: FrameResult;
}

interface CycleContext {
  frame: FrameInput;
  once: boolean;
  initialDelayMs: number;
  stopping: boolean;
  /** Consecutive failed frames; drives the backoff between frames. */
  failures: number;
  nextInMs: number;
  lastResult: FrameResult | undefined;
}

/**
 * One loop's scheduler: run a frame, then wait until the next reading should exist (or back off
 * after failures), forever — or once.
 */
export const cycleMachine = setup({
  types: {
    input: {} as CycleInput,
    context: {} as CycleContext,
    events: {} as StopEvent,
    output: {} as CycleOutput,
    children: {} as { frame: 'frame' },
  },
  actors: { frame: fetchMachine },
  delays: {
    nextFrame: ({ context }) => clampDelay(context.nextInMs),
  },
  guards: {
    hasInitialDelay: ({ context }) => context.initialDelayMs > 0,
    finishing: ({ context }) => context.once || context.stopping,
  },
  actions: {
    record: assign(({ context }, params: { result: FrameResult }) => ({
      lastResult: params.result,
      failures: params.result.outcome === 'failed' ? context.failures + 1 : 0,
    })),
    schedule: assign(({ context }) => {
      const result = context.lastResult ?? { outcome: 'failed' as const, fetched: 0 };
      const { now, loop, rand } = context.frame;
      return { nextInMs: nextFrameDelayMs(now(), result, context.failures, loop, rand) };
    }),
    notifyDone: ({ context }, params: { withNext: boolean }) => {
      const { frame, lastResult } = context;
      if (!lastResult) return;
      frame.notify({
        type: 'frame.done',
        bridgeId: frame.bridgeId,
        loop: frame.loop.name,
        result: lastResult,
        ...(params.withNext ? { nextInMs: context.nextInMs } : {}),
      });
    },
    stopFrame: enqueueActions(({ enqueue, self }) => {
      const frame = self.getSnapshot().children.frame as ActorRef<Snapshot<unknown>, StopEvent> | undefined;
      if (frame?.getSnapshot().status === 'active') enqueue.sendTo(frame, { type: 'STOP' });
    }),
  },
}).createMachine({
  id: 'cycle',
  options: { maxIterations: 1000 },
  context: ({ input }) => ({
    frame: input.frame,
    once: input.once,
    initialDelayMs: clampDelay(input.initialDelayMs ?? 0),
    stopping: false,
    failures: 0,
    nextInMs: clampDelay(input.initialDelayMs ?? 0),
    lastResult: undefined,
  }),
  initial: 'start',
  states: {
    start: {
      always: [{ guard: 'hasInitialDelay', target: 'scheduled' }, { target: 'running' }],
    },
    running: {
      invoke: {
        src: 'frame',
        id: 'frame',
        input: ({ context }) => context.frame,
        onDone: [
          {
            guard: 'finishing',
            target: 'done',
            actions: [
              { type: 'record', params: ({ event }) => ({ result: event.output }) },
              { type: 'notifyDone', params: { withNext: false } },
            ],
          },
          {
            target: 'scheduled',
            actions: [
              { type: 'record', params: ({ event }) => ({ result: event.output }) },
              'schedule',
              { type: 'notifyDone', params: { withNext: true } },
            ],
          },
        ],
        // A frame never errors by design; if one does, it counts as a failed frame, not a dead loop.
        onError: [
          {
            guard: 'finishing',
            target: 'done',
            actions: [
              { type: 'record', params: ({ event }) => ({ result: crashed(event.error) }) },
              { type: 'notifyDone', params: { withNext: false } },
            ],
          },
          {
            target: 'scheduled',
            actions: [
              { type: 'record', params: ({ event }) => ({ result: crashed(event.error) }) },
              'schedule',
              { type: 'notifyDone', params: { withNext: true } },
            ],
          },
        ],
      },
      on: { STOP: { actions: [assign({ stopping: true }), 'stopFrame'] } },
    },
    scheduled: {
      after: { nextFrame: 'running' },
      on: { STOP: 'done' },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => ({
    loop: context.frame.loop.name,
    ...(context.lastResult ? { result: context.lastResult } : {}),
  }),
});

function crashed(error: unknown): FrameResult {
  return { outcome: 'failed', fetched: 0, error };
}

import { assign, enqueueActions, setup, type ActorRef, type Snapshot } from 'xstate';
import { clampDelay } from '../lib/time.js';
import type { FrameResult } from '../lib/contracts/bridge-events.js';
import type { ScheduleDecision } from './contract.js';
import type { StopEvent } from './events.js';
import { frameMachine, type FrameInput } from './frame.js';
import { initialFreshness, observeFrame, type Freshness } from './freshness.js';
import { nextFrameDelayMs } from './schedule.js';

/** This loop's bookings in the vendor's stagger (stagger.ts); absent for sources without a vendor. */
export interface CycleStagger {
  /** Books the next frame at or after `desiredMs`; returns when it may start. */
  reserve(desiredMs: number): number;
  release(): void;
}

export interface CycleInput {
  frame: FrameInput;
  /** Run one frame, then finish with its result. */
  once: boolean;
  /** Wait this long before the first frame (a respawned cycle must not hammer the vendor). */
  initialDelayMs?: number;
  stagger?: CycleStagger | undefined;
  schedule?: ScheduleDecision | undefined;
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
  /** Learned vendor lag and missed readings of this loop (freshness.ts). */
  freshness: Freshness;
  stagger: CycleStagger | undefined;
  schedule: ScheduleDecision;
}

/** `delayMs` from now, moved to the start the stagger booked. */
function staggered(context: Pick<CycleContext, 'frame' | 'stagger'>, delayMs: number): number {
  if (!context.stagger) return delayMs;
  const now = context.frame.now();
  return clampDelay(context.stagger.reserve(now + delayMs) - now);
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
  actors: { frame: frameMachine },
  delays: {
    nextFrame: ({ context }) => clampDelay(context.nextInMs),
  },
  guards: {
    hasInitialDelay: ({ context }) => context.initialDelayMs > 0,
    finishing: ({ context }) => context.once || context.stopping,
  },
  actions: {
    record: assign(({ context }, params: { result: FrameResult }) => {
      const { loop, now } = context.frame;
      const freshness =
        params.result.outcome === 'success'
          ? observeFrame(context.freshness, now(), params.result.newestEntryMs, loop.expectedIntervalMs, loop.lagMs)
          : context.freshness;
      return {
        lastResult: params.result,
        failures: params.result.outcome === 'failed' ? context.failures + 1 : 0,
        freshness,
      };
    }),
    schedule: assign(({ context }) => {
      const result = context.lastResult ?? { outcome: 'failed' as const, fetched: 0 };
      const { now, loop, rand } = context.frame;
      return { nextInMs: staggered(context, context.schedule(now(), result, context.failures, loop, rand, context.freshness)) };
    }),
    releaseStagger: ({ context }) => context.stagger?.release(),
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
  context: ({ input }) => {
    // Even the first frames of a fleet that starts together are spread over the seconds.
    const initialDelayMs = staggered({ frame: input.frame, stagger: input.stagger }, clampDelay(input.initialDelayMs ?? 0));
    return {
      frame: input.frame,
      once: input.once,
      initialDelayMs,
      stopping: false,
      failures: 0,
      nextInMs: initialDelayMs,
      lastResult: undefined,
      freshness: initialFreshness(input.frame.loop.lagMs),
      stagger: input.stagger,
      schedule: input.schedule ?? nextFrameDelayMs,
    };
  },
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
    done: { type: 'final', entry: 'releaseStagger' },
  },
  output: ({ context }) => ({
    loop: context.frame.loop.name,
    ...(context.lastResult ? { result: context.lastResult } : {}),
  }),
});

function crashed(error: unknown): FrameResult {
  return { outcome: 'failed', fetched: 0, error };
}

import { enqueueActions, sendTo, setup, type ActorRef, type DoneActorEvent, type ErrorActorEvent, type Snapshot } from 'xstate';
import { GlucoHubError } from '../lib/errors.js';
import type { SourceLoop } from '../lib/contracts/source.js';
import type { FrameResult } from '../lib/contracts/bridge-events.js';
import type { PollerInput } from './contract.js';
import { cycleMachine, type CycleInput, type CycleOutput, type CycleStagger } from './cycle.js';
import type { SessionRequest, StopEvent } from './events.js';
import { DEFAULT_OUTPUT_TIMEOUT_MS, type FrameInput } from './frame.js';
import { guardNotify } from './notify.js';
import { sessionMachine, type SessionInput } from './session.js';

/** A cycle that crashed is started again after this long, never at once. */
export const CYCLE_RESPAWN_DELAY_MS = 60_000;
export const SESSION_ID = 'session';
const CYCLE_PREFIX = 'cycle:';

/** The child id of a loop's cycle: stable, so `snapshot.children` and logs can find it. */
export const cycleId = (loop: string): string => `${CYCLE_PREFIX}${loop}`;

export interface PollerOutput {
  /** The last frame result of every loop that ran one, by loop name. */
  results: Record<string, FrameResult>;
}

/** What the poller accepts: STOP from outside; session requests from its frames; child lifecycle. */
export type PollerEvent = StopEvent | SessionRequest | DoneActorEvent<CycleOutput> | ErrorActorEvent;

type Normalized = Required<Omit<PollerInput, 'driver' | 'stagger' | 'schedule'>> & Pick<PollerInput, 'driver' | 'stagger' | 'schedule'>;

interface PollerContext extends Normalized {
  /** Loops whose cycle still runs; the poller is done when none is left. */
  pending: string[];
  results: Record<string, FrameResult>;
}

type RequestRef = ActorRef<Snapshot<unknown>, SessionRequest>;

function normalize(input: PollerInput): PollerContext {
  const names = input.driver.loops.map((l) => l.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) {
    throw new GlucoHubError('HUB006', `driver "${input.driver.kind}" has two loops named "${duplicate}"`, {
      hint: 'loop names must be unique within a driver',
    });
  }
  return {
    bridgeId: input.bridgeId,
    driver: input.driver,
    outputs: input.outputs,
    notify: guardNotify(input.notify),
    now: input.now,
    rand: input.rand ?? Math.random,
    once: input.once ?? false,
    outputTimeoutMs: input.outputTimeoutMs ?? DEFAULT_OUTPUT_TIMEOUT_MS,
    stagger: input.stagger,
    schedule: input.schedule,
    pending: names,
    results: {},
  };
}

function sessionInput(context: PollerContext): SessionInput {
  return { bridgeId: context.bridgeId, functions: context.driver.session, notify: context.notify };
}

function cycleStagger(context: PollerContext, loop: SourceLoop): CycleStagger | undefined {
  const { stagger, driver, bridgeId } = context;
  if (!stagger) return undefined;
  const key = `${bridgeId}/${loop.name}`;
  return {
    reserve: (desiredMs) => stagger.reserve(driver.kind, key, desiredMs),
    release: () => stagger.release(driver.kind, key),
  };
}

function cycleInput(context: PollerContext, loop: SourceLoop, reportTo: RequestRef, initialDelayMs: number): CycleInput {
  const frame: FrameInput = {
    bridgeId: context.bridgeId,
    loop,
    outputs: context.outputs,
    notify: context.notify,
    now: context.now,
    rand: context.rand,
    outputTimeoutMs: context.outputTimeoutMs,
    reportTo,
  };
  return { frame, once: context.once, initialDelayMs, stagger: cycleStagger(context, loop), schedule: context.schedule };
}

const loopOf = (actorId: string): string | undefined =>
  actorId.startsWith(CYCLE_PREFIX) ? actorId.slice(CYCLE_PREFIX.length) : undefined;

export const pollerMachine = setup({
  types: {
    input: {} as PollerInput,
    context: {} as PollerContext,
    events: {} as PollerEvent,
    output: {} as PollerOutput,
  },
  actors: { session: sessionMachine, cycle: cycleMachine },
  guards: {
    noPending: ({ context }) => context.pending.length === 0,
  },
  actions: {
    spawnChildren: enqueueActions(({ context, enqueue, self }) => {
      enqueue.spawnChild('session', { id: SESSION_ID, input: sessionInput(context) });
      for (const loop of context.driver.loops) {
        enqueue.spawnChild('cycle', { id: cycleId(loop.name), input: cycleInput(context, loop, self, 0) });
      }
    }),
    forwardToSession: sendTo(SESSION_ID, (_, params: { request: SessionRequest }) => params.request),
    cycleFinished: enqueueActions(({ context, enqueue }, params: { actorId: string; output: CycleOutput }) => {
      const loop = loopOf(params.actorId);
      if (loop === undefined) return;
      enqueue.stopChild(params.actorId);
      enqueue.assign({
        pending: context.pending.filter((name) => name !== loop),
        results: params.output.result ? { ...context.results, [loop]: params.output.result } : context.results,
      });
    }),
    childFailed: enqueueActions(({ context, enqueue, self }, params: { actorId: string; error: unknown; respawn: boolean }) => {
      enqueue.stopChild(params.actorId);
      if (params.actorId === SESSION_ID) {
        // Frames still need a session: a fresh one logs in again on the next request.
        context.notify({ type: 'session.failed', bridgeId: context.bridgeId, error: params.error });
        enqueue.spawnChild('session', { id: SESSION_ID, input: sessionInput(context) });
        return;
      }
      const name = loopOf(params.actorId);
      const loop = context.driver.loops.find((l) => l.name === name);
      if (name === undefined || loop === undefined) return;
      const result: FrameResult = { outcome: 'failed', fetched: 0, error: params.error };
      const nextInMs = params.respawn ? CYCLE_RESPAWN_DELAY_MS : undefined;
      context.notify({ type: 'frame.done', bridgeId: context.bridgeId, loop: name, result, ...(nextInMs ? { nextInMs } : {}) });
      if (params.respawn) {
        enqueue.spawnChild('cycle', { id: params.actorId, input: cycleInput(context, loop, self, CYCLE_RESPAWN_DELAY_MS) });
        return;
      }
      enqueue.assign({ pending: context.pending.filter((n) => n !== name), results: { ...context.results, [name]: result } });
    }),
    stopCycles: enqueueActions(({ context, enqueue, self }) => {
      const children = self.getSnapshot().children as Record<string, ActorRef<Snapshot<unknown>, StopEvent> | undefined>;
      for (const name of context.pending) {
        const cycle = children[cycleId(name)];
        if (cycle?.getSnapshot().status === 'active') enqueue.sendTo(cycle, { type: 'STOP' });
      }
    }),
  },
}).createMachine({
  id: 'poller',
  options: { maxIterations: 1000 },
  context: ({ input }) => normalize(input),
  entry: 'spawnChildren',
  on: {
    SESSION_REQUIRED: { actions: { type: 'forwardToSession', params: ({ event }) => ({ request: event }) } },
    SESSION_INVALID: { actions: { type: 'forwardToSession', params: ({ event }) => ({ request: event }) } },
    'xstate.done.actor.*': {
      actions: { type: 'cycleFinished', params: ({ event }) => ({ actorId: event.actorId, output: event.output }) },
    },
  },
  initial: 'running',
  states: {
    running: {
      always: { guard: 'noPending', target: 'done' },
      on: {
        STOP: 'draining',
        'xstate.error.actor.*': {
          actions: {
            type: 'childFailed',
            params: ({ context, event }) => ({ actorId: event.actorId, error: event.error, respawn: !context.once }),
          },
        },
      },
    },
    // Cycles finish what must not be cut (a persist in flight), then report done.
    draining: {
      entry: 'stopCycles',
      always: { guard: 'noPending', target: 'done' },
      on: {
        'xstate.error.actor.*': {
          actions: {
            type: 'childFailed',
            params: ({ event }) => ({ actorId: event.actorId, error: event.error, respawn: false }),
          },
        },
      },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => ({ results: context.results }),
});

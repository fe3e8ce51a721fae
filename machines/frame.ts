import { assign, enqueueActions, fromPromise, sendTo, setup } from 'xstate';
import { batchSize, emptyBatch, type Batch } from '../lib/domain.js';
import type { Decision } from '../lib/errors.js';
import { screenGlucose, type ScreenedBatch } from '../lib/glucose-range.js';
import { backoffMs, clampDelay, DEFAULT_BACKOFF } from '../lib/time.js';
import type { Output, StoreResult } from '../lib/contracts/output.js';
import type { FetchWindow, SourceLoop } from '../lib/contracts/source.js';
import type { FrameResult } from '../lib/contracts/bridge-events.js';
import { fetchTimeout, frameStopped, OutputsFailedError, sessionWaitTimeout } from './errors.js';
import type { SessionReply, SessionRequestRef, StopEvent } from './events.js';
import { askNewest, storeBatch, type Settled } from './fanout.js';
import { decide, futureDocuments, gapWindow, newestEntryAcross, newestPlausibleEntry, type Phase } from './frame-logic.js';
import type { Notify } from './notify.js';

/** Longer than two session calls at their own timeout, so this only catches a lost answer. */
export const SESSION_WAIT_MS = 5 * 60_000;
export const DEFAULT_OUTPUT_TIMEOUT_MS = 30_000;
/**
 * A loop's whole fetch, unless it declares its own (`SourceLoop.fetchDeadlineMs`): every request
 * has its own deadline (lib/wire.ts), but a fetch of several requests, or a driver promise that
 * never settles, must not hold the loop either. Ten times a vendor request's 30 s.
 */
export const DEFAULT_FETCH_DEADLINE_MS = 5 * 60_000;

/** How long `loop` may take to fetch. */
export function fetchDeadlineMs(loop: SourceLoop): number {
  return loop.fetchDeadlineMs ?? DEFAULT_FETCH_DEADLINE_MS;
}

export interface FrameInput {
  bridgeId: string;
  loop: SourceLoop;
  outputs: readonly Output[];
  notify: Notify;
  now: () => number;
  rand: () => number;
  outputTimeoutMs: number;
  /** Where SESSION_REQUIRED / SESSION_INVALID go (the poller). */
  reportTo: SessionRequestRef;
  sessionWaitMs?: number;
}

export type FrameEvent = SessionReply | StopEvent;

/** The loop's own fetch; XState's `signal` is passed on, so leaving the state aborts the request instead of letting it run unseen. */
const fetchRaw = fromPromise<unknown, { loop: SourceLoop; session: unknown; window: FetchWindow }>(({ input, signal }) =>
  input.loop.fetch(input.session, input.window, signal),
);

/**
 * `transform` is synchronous; running it in a promise turns a throw into `onError` instead of a
 * crashed machine. Every source's batch then goes through the one glucose rule (lib/glucose-range.ts).
 */
const transformRaw = fromPromise<ScreenedBatch, { loop: SourceLoop; raw: unknown; window: FetchWindow }>(
  ({ input }) => new Promise<ScreenedBatch>((resolve) => resolve(screenGlucose(input.loop.transform(input.raw, input.window)))),
);

interface Failure {
  error: unknown;
  phase: Phase | 'stopped';
  decision: Decision;
}

interface FrameContext extends FrameInput {
  sessionWaitMs: number;
  /** Number of the attempt under way, from 1. */
  attempt: number;
  /** Backoff retries used; at most `loop.maxRetries`. The one re-login does not count. */
  retries: number;
  reauthenticated: boolean;
  retryInMs: number;
  session: unknown;
  window: FetchWindow;
  knownNewestEntryMs: number | undefined;
  raw: unknown;
  batch: Batch | undefined;
  /** STOP arrived while persisting: finish the write, then do not retry. */
  stopRequested: boolean;
  failure: Failure | undefined;
  result: FrameResult;
}

const failWith = (phase: Phase) => ({
  target: 'deciding' as const,
  actions: {
    type: 'recordFailure' as const,
    params: ({ event }: { event: { error: unknown } }) => ({ error: event.error, phase }),
  },
});

export const frameMachine = setup({
  types: {
    input: {} as FrameInput,
    context: {} as FrameContext,
    events: {} as FrameEvent,
    output: {} as FrameResult,
  },
  actors: { askNewest, fetchRaw, transformRaw, storeBatch },
  delays: {
    retryDelay: ({ context }) => clampDelay(context.retryInMs),
    sessionWait: ({ context }) => clampDelay(context.sessionWaitMs),
    fetchDeadline: ({ context }) => clampDelay(fetchDeadlineMs(context.loop)),
  },
  guards: {
    stopRequested: ({ context }) => context.stopRequested,
    shouldReauthenticate: ({ context }) => context.failure?.decision.action === 'reauthenticate' && !context.reauthenticated,
    shouldRetry: ({ context }) => context.failure?.decision.action === 'retry' && context.retries < context.loop.maxRetries,
    sessionRejected: ({ context }) => context.failure?.decision.action === 'reauthenticate',
    hasDocuments: (_, params: { screened: ScreenedBatch }) => batchSize(params.screened.batch) > 0,
  },
  actions: {
    requestSession: sendTo(
      ({ context }) => context.reportTo,
      ({ context, self }) => ({ type: 'SESSION_REQUIRED' as const, loop: context.loop.name, replyTo: self }),
    ),
    invalidateSession: sendTo(
      ({ context }) => context.reportTo,
      ({ context }) => ({ type: 'SESSION_INVALID' as const, loop: context.loop.name, session: context.session }),
    ),
    recordFailure: assign(({ context }, params: { error: unknown; phase: Phase }) => ({
      failure: { ...params, decision: decide(params.error, params.phase, context.now()) },
    })),
    recordStop: assign(({ context }) => ({
      failure: { error: frameStopped(context.loop.name), phase: 'stopped' as const, decision: { action: 'stop' as const } },
    })),
    notifyAttemptFailed: ({ context }, params: { retryInMs?: number }) =>
      context.notify({
        type: 'frame.attemptFailed',
        bridgeId: context.bridgeId,
        loop: context.loop.name,
        attempt: context.attempt,
        error: context.failure?.error,
        ...(params.retryInMs === undefined ? {} : { retryInMs: params.retryInMs }),
      }),
    startReauthentication: assign(({ context }) => ({ reauthenticated: true, attempt: context.attempt + 1, batch: undefined })),
    scheduleRetry: assign(({ context }) => ({
      retries: context.retries + 1,
      retryInMs: backoffMs(context.retries + 1, context.loop.backoff ?? DEFAULT_BACKOFF, context.rand),
    })),
    nextAttempt: assign(({ context }) => ({ attempt: context.attempt + 1, batch: undefined })),
    setWindow: assign(({ context }, params: { newest: number | undefined; window: FetchWindow }) => ({
      window: params.window,
      knownNewestEntryMs: params.newest ?? context.knownNewestEntryMs,
    })),
    notifyFetching: ({ context }) =>
      context.notify({
        type: 'frame.fetching',
        bridgeId: context.bridgeId,
        loop: context.loop.name,
        window: context.window,
        startedMs: context.now(),
      }),
    notifyFetched: ({ context }) =>
      context.notify({
        type: 'frame.fetched',
        bridgeId: context.bridgeId,
        loop: context.loop.name,
        window: context.window,
        raw: context.raw,
      }),
    keepBatch: enqueueActions(({ context, enqueue }, params: { screened: ScreenedBatch }) => {
      const { batch, impossible } = params.screened;
      if (impossible.length > 0) context.notify({ type: 'frame.impossible', bridgeId: context.bridgeId, loop: context.loop.name, readings: impossible });
      context.notify({ type: 'frame.transformed', bridgeId: context.bridgeId, loop: context.loop.name, batch });
      const future = futureDocuments(batch, context.now());
      if (future.length > 0) context.notify({ type: 'frame.future', bridgeId: context.bridgeId, loop: context.loop.name, documents: future, nowMs: context.now() });
      enqueue.assign({ batch });
    }),
    succeed: assign(({ context }) => ({ result: successResult(context) })),
    fail: assign(({ context }) => ({ result: failureResult(context) })),
  },
}).createMachine({
  id: 'frame',
  options: { maxIterations: 1000 },
  context: ({ input }) => ({
    ...input,
    sessionWaitMs: input.sessionWaitMs ?? SESSION_WAIT_MS,
    attempt: 1,
    retries: 0,
    reauthenticated: false,
    retryInMs: 0,
    session: undefined,
    window: { fromMs: 0, toMs: 0 },
    knownNewestEntryMs: undefined,
    raw: undefined,
    batch: undefined,
    stopRequested: false,
    failure: undefined,
    result: { outcome: 'failed', fetched: 0 },
  }),
  initial: 'idle',
  on: { STOP: { target: '.error', actions: 'recordStop' } },
  states: {
    idle: { always: 'auth' },
    waiting: { after: { retryDelay: 'auth' } },
    auth: {
      entry: 'requestSession',
      after: {
        sessionWait: {
          target: 'deciding',
          actions: {
            type: 'recordFailure',
            params: ({ context }) => ({
              error: sessionWaitTimeout(context.loop.name, context.sessionWaitMs),
              phase: 'session' as const,
            }),
          },
        },
      },
      on: {
        SESSION_RESOLVED: { target: 'determineGaps', actions: assign({ session: ({ event }) => event.session }) },
        SESSION_ERROR: failWith('session'),
      },
    },
    determineGaps: {
      invoke: {
        src: 'askNewest',
        input: ({ context }) => ({ outputs: context.outputs, timeoutMs: context.outputTimeoutMs }),
        onDone: {
          target: 'fetching',
          actions: {
            type: 'setWindow',
            params: ({ context, event }) => ({
              newest: newestEntryAcross(event.output),
              window: gapWindow(context.now(), context.loop, event.output),
            }),
          },
        },
        onError: failWith('gaps'),
      },
    },
    fetching: {
      entry: 'notifyFetching',
      invoke: {
        src: 'fetchRaw',
        input: ({ context }) => ({ loop: context.loop, session: context.session, window: context.window }),
        onDone: { target: 'transforming', actions: [assign({ raw: ({ event }) => event.output }), 'notifyFetched'] },
        onError: failWith('fetch'),
      },
      // Leaving the state stops the fetch actor, whose signal aborts the request still running.
      after: {
        fetchDeadline: {
          target: 'deciding',
          actions: {
            type: 'recordFailure',
            params: ({ context }) => ({ error: fetchTimeout(context.loop.name, fetchDeadlineMs(context.loop)), phase: 'fetch' as const }),
          },
        },
      },
    },
    transforming: {
      invoke: {
        src: 'transformRaw',
        input: ({ context }) => ({ loop: context.loop, raw: context.raw, window: context.window }),
        onDone: [
          {
            guard: { type: 'hasDocuments', params: ({ event }) => ({ screened: event.output }) },
            target: 'persisting',
            actions: { type: 'keepBatch', params: ({ event }) => ({ screened: event.output }) },
          },
          // Nothing new: no output needs a call.
          { target: 'success', actions: { type: 'keepBatch', params: ({ event }) => ({ screened: event.output }) } },
        ],
        onError: failWith('transform'),
      },
    },
    persisting: {
      invoke: {
        src: 'storeBatch',
        input: ({ context }) => ({
          outputs: context.outputs,
          batch: context.batch ?? emptyBatch(),
          timeoutMs: context.outputTimeoutMs,
          onSettled: (settled: Settled<StoreResult>) => reportStore(context, settled),
        }),
        onDone: [
          { guard: ({ event }) => event.output.every((s) => s.ok), target: 'success' },
          {
            target: 'deciding',
            actions: {
              type: 'recordFailure',
              params: ({ event }) => ({ error: storeFailure(event.output), phase: 'persist' as const }),
            },
          },
        ],
        onError: failWith('persist'),
      },
      // Never cut a write in half: remember the STOP and finish after the outputs answer.
      on: { STOP: { actions: assign({ stopRequested: true }) } },
    },
    deciding: {
      always: [
        { guard: 'stopRequested', target: 'error', actions: { type: 'notifyAttemptFailed', params: {} } },
        {
          guard: 'shouldReauthenticate',
          target: 'auth',
          actions: [{ type: 'notifyAttemptFailed', params: { retryInMs: 0 } }, 'invalidateSession', 'startReauthentication'],
        },
        {
          guard: 'shouldRetry',
          target: 'waiting',
          actions: [
            'scheduleRetry',
            { type: 'notifyAttemptFailed', params: ({ context }) => ({ retryInMs: context.retryInMs }) },
            'nextAttempt',
          ],
        },
        // A second 401 in one frame: mark the session bad for the next frame, but do not loop here.
        {
          guard: 'sessionRejected',
          target: 'error',
          actions: [{ type: 'notifyAttemptFailed', params: {} }, 'invalidateSession'],
        },
        { target: 'error', actions: { type: 'notifyAttemptFailed', params: {} } },
      ],
    },
    success: { entry: 'succeed', always: 'done' },
    error: { entry: 'fail', always: 'done' },
    done: { type: 'final' },
  },
  output: ({ context }) => context.result,
});

function successResult(context: FrameContext): FrameResult {
  const batchNewest = context.batch ? newestPlausibleEntry(context.batch, context.now()) : undefined;
  const candidates = [batchNewest, context.knownNewestEntryMs].filter((d): d is number => d !== undefined);
  return {
    outcome: 'success',
    fetched: context.batch ? batchSize(context.batch) : 0,
    ...(candidates.length > 0 ? { newestEntryMs: Math.max(...candidates) } : {}),
  };
}

function failureResult(context: FrameContext): FrameResult {
  const failure = context.failure;
  const decision = failure?.decision;
  return {
    outcome: failure?.phase === 'transform' ? 'skipped' : 'failed',
    fetched: context.batch ? batchSize(context.batch) : 0,
    error: failure?.error,
    ...(decision?.action === 'wait' ? { notBeforeMs: decision.untilMs } : {}),
  };
}

function reportStore(context: FrameContext, settled: Settled<StoreResult>): void {
  const base = { bridgeId: context.bridgeId, loop: context.loop.name, output: settled.output };
  context.notify(
    settled.ok
      ? { type: 'frame.stored', ...base, result: settled.value }
      : { type: 'frame.outputFailed', ...base, error: settled.error },
  );
}

function storeFailure(settled: readonly Settled<unknown>[]): unknown {
  const failures = settled.flatMap((s) => (s.ok ? [] : [{ output: s.output, error: s.error }]));
  return new OutputsFailedError(failures);
}

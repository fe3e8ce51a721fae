import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import { clampDelay, MAX_TIMER_MS } from '../lib/time.js';
import type { SessionFunctions } from '../lib/contracts/source.js';
import { sessionCallTimeout } from './errors.js';
import type { SessionReplyRef, SessionRequest } from './events.js';
import type { Notify } from './notify.js';

/** No single session call (authenticate, authorize, refresh) may hang a bridge longer than this. */
export const SESSION_CALL_TIMEOUT_MS = 120_000;

export interface SessionInput {
  bridgeId: string;
  functions: SessionFunctions;
  notify: Notify;
  callTimeoutMs?: number;
}

interface SessionContext {
  bridgeId: string;
  functions: SessionFunctions;
  notify: Notify;
  callTimeoutMs: number;
  auth: unknown;
  session: unknown;
  /** Frames waiting for the login in flight: all get the one answer (single-flight). */
  waiting: SessionReplyRef[];
}

/** Requesters that still run; a frame stopped while waiting is simply skipped. */
function stillWaiting(waiting: readonly SessionReplyRef[]): SessionReplyRef[] {
  return waiting.filter((ref) => ref.getSnapshot().status === 'active');
}

export const sessionMachine = setup({
  types: {
    input: {} as SessionInput,
    context: {} as SessionContext,
    events: {} as SessionRequest,
  },
  actors: {
    authenticate: fromPromise<unknown, { functions: SessionFunctions }>(({ input, signal }) =>
      input.functions.authenticate(signal),
    ),
    authorize: fromPromise<unknown, { functions: SessionFunctions; auth: unknown }>(({ input, signal }) =>
      input.functions.authorize(input.auth, signal),
    ),
    refresh: fromPromise<unknown, { functions: SessionFunctions; auth: unknown; session: unknown }>(
      async ({ input, signal }) => {
        if (!input.functions.refresh) throw new Error('driver has no refresh');
        return input.functions.refresh(input.session, input.auth, signal);
      },
    ),
  },
  delays: {
    callTimeout: ({ context }) => clampDelay(context.callTimeoutMs),
    refreshDelay: ({ context }) => clampDelay(context.functions.refreshAfterMs ?? MAX_TIMER_MS),
    expireDelay: ({ context }) => clampDelay(context.functions.expireAfterMs ?? MAX_TIMER_MS),
  },
  guards: {
    canRefresh: ({ context }) =>
      context.functions.refresh !== undefined && context.functions.refreshAfterMs !== undefined,
    canExpire: ({ context }) => context.functions.expireAfterMs !== undefined,
    hasWaiting: ({ context }) => context.waiting.length > 0,
    isCurrentSession: ({ context }, params: { session: unknown }) => params.session === context.session,
  },
  actions: {
    addRequester: assign(({ context }, params: { ref: SessionReplyRef }) => ({
      waiting: context.waiting.includes(params.ref) ? context.waiting : [...context.waiting, params.ref],
    })),
    replyNow: enqueueActions(({ context, enqueue }, params: { ref: SessionReplyRef }) => {
      enqueue.sendTo(params.ref, { type: 'SESSION_RESOLVED', session: context.session });
    }),
    resolveWaiting: enqueueActions(({ context, enqueue }) => {
      for (const ref of stillWaiting(context.waiting)) {
        enqueue.sendTo(ref, { type: 'SESSION_RESOLVED', session: context.session });
      }
      enqueue.assign({ waiting: [] });
    }),
    fail: enqueueActions(({ context, enqueue }, params: { error: unknown }) => {
      context.notify({ type: 'session.failed', bridgeId: context.bridgeId, error: params.error });
      for (const ref of stillWaiting(context.waiting)) {
        enqueue.sendTo(ref, { type: 'SESSION_ERROR', error: params.error });
      }
      enqueue.assign({ waiting: [], auth: undefined, session: undefined });
    }),
    notifyFailed: ({ context }, params: { error: unknown }) =>
      context.notify({ type: 'session.failed', bridgeId: context.bridgeId, error: params.error }),
    notifyEstablished: ({ context }) => context.notify({ type: 'session.established', bridgeId: context.bridgeId }),
    expire: enqueueActions(({ context, enqueue }) => {
      context.notify({ type: 'session.expired', bridgeId: context.bridgeId });
      enqueue.assign({ auth: undefined, session: undefined });
    }),
  },
}).createMachine({
  id: 'session',
  options: { maxIterations: 1000 },
  context: ({ input }) => ({
    bridgeId: input.bridgeId,
    functions: input.functions,
    notify: input.notify,
    callTimeoutMs: input.callTimeoutMs ?? SESSION_CALL_TIMEOUT_MS,
    auth: undefined,
    session: undefined,
    waiting: [],
  }),
  initial: 'inactive',
  states: {
    inactive: {
      on: {
        SESSION_REQUIRED: {
          target: 'authenticating',
          actions: { type: 'addRequester', params: ({ event }) => ({ ref: event.replyTo }) },
        },
      },
    },
    authenticating: {
      invoke: {
        src: 'authenticate',
        input: ({ context }) => ({ functions: context.functions }),
        onDone: { target: 'authorizing', actions: assign({ auth: ({ event }) => event.output }) },
        onError: { target: 'inactive', actions: { type: 'fail', params: ({ event }) => ({ error: event.error }) } },
      },
      after: {
        callTimeout: {
          target: 'inactive',
          actions: {
            type: 'fail',
            params: ({ context }) => ({ error: sessionCallTimeout('authenticate', context.callTimeoutMs) }),
          },
        },
      },
      on: { SESSION_REQUIRED: { actions: { type: 'addRequester', params: ({ event }) => ({ ref: event.replyTo }) } } },
    },
    authorizing: {
      invoke: {
        src: 'authorize',
        input: ({ context }) => ({ functions: context.functions, auth: context.auth }),
        onDone: { target: 'established', actions: assign({ session: ({ event }) => event.output }) },
        onError: { target: 'inactive', actions: { type: 'fail', params: ({ event }) => ({ error: event.error }) } },
      },
      after: {
        callTimeout: {
          target: 'inactive',
          actions: {
            type: 'fail',
            params: ({ context }) => ({ error: sessionCallTimeout('authorize', context.callTimeoutMs) }),
          },
        },
      },
      on: { SESSION_REQUIRED: { actions: { type: 'addRequester', params: ({ event }) => ({ ref: event.replyTo }) } } },
    },
    established: {
      entry: ['notifyEstablished', 'resolveWaiting'],
      after: {
        refreshDelay: { guard: 'canRefresh', target: 'refreshing' },
        expireDelay: { guard: 'canExpire', target: 'expired' },
      },
      on: {
        SESSION_REQUIRED: { actions: { type: 'replyNow', params: ({ event }) => ({ ref: event.replyTo }) } },
        SESSION_INVALID: {
          guard: { type: 'isCurrentSession', params: ({ event }) => ({ session: event.session }) },
          target: 'expired',
        },
      },
    },
    refreshing: {
      invoke: {
        src: 'refresh',
        input: ({ context }) => ({ functions: context.functions, auth: context.auth, session: context.session }),
        onDone: { target: 'established', actions: assign({ session: ({ event }) => event.output }) },
        onError: { target: 'expired', actions: { type: 'notifyFailed', params: ({ event }) => ({ error: event.error }) } },
      },
      after: {
        callTimeout: {
          target: 'expired',
          actions: {
            type: 'notifyFailed',
            params: ({ context }) => ({ error: sessionCallTimeout('refresh', context.callTimeoutMs) }),
          },
        },
      },
      on: { SESSION_REQUIRED: { actions: { type: 'addRequester', params: ({ event }) => ({ ref: event.replyTo }) } } },
    },
    expired: {
      entry: 'expire',
      // Requests queued during a failed refresh get a fresh login right away.
      always: { guard: 'hasWaiting', target: 'authenticating' },
      on: {
        SESSION_REQUIRED: {
          target: 'authenticating',
          actions: { type: 'addRequester', params: ({ event }) => ({ ref: event.replyTo }) },
        },
      },
    },
  },
});

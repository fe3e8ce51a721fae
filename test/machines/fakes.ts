import { vi } from 'vitest';
import { createActor, fromCallback, type ActorRefFrom } from 'xstate';
import type { Batch, Entry, NewestDates } from '../../lib/domain.js';
import type { Output, StoreResult } from '../../lib/contracts/output.js';
import type { FetchWindow, SessionFunctions, SourceDriver, SourceLoop } from '../../lib/contracts/source.js';
import type { BridgeEvent } from '../../lib/contracts/bridge-events.js';
import type { PollerInput } from '../../machines/contract.js';
import { pollerMachine } from '../../machines/poller.js';

export const SEC = 1_000;
export const MIN = 60 * SEC;
/** Every test starts its fake clock here. */
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

/** Lets promise chains settle without moving the clock. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(0);
}

export function entry(date: number): Entry {
  const hex = date.toString(16).padStart(12, '0').slice(-12);
  return {
    date,
    device: 'fake-cgm',
    identifier: `00000000-0000-5000-8000-${hex}`,
    type: 'sgv',
    sgv: 100,
    dateString: new Date(date).toISOString(),
  };
}

export function batchOf(dates: readonly number[]): Batch {
  return { entries: dates.map(entry), treatments: [], devicestatus: [] };
}

/** A vendor with readings at `readings`; fetch answers the ones inside the window. */
export type FakeLoop = Omit<SourceLoop, 'fetch' | 'transform'> & {
  readings: number[];
  fetch: ReturnType<typeof vi.fn<SourceLoop['fetch']>>;
  transform: ReturnType<typeof vi.fn<SourceLoop['transform']>>;
};

export function fakeLoop(overrides: Partial<SourceLoop> & { readings?: number[] } = {}): FakeLoop {
  const readings = overrides.readings ?? [];
  const { readings: _r, ...rest } = overrides;
  const fetch = vi.fn<SourceLoop['fetch']>((_session: unknown, window: FetchWindow) =>
    Promise.resolve(readings.filter((d) => d > window.fromMs && d <= window.toMs)),
  );
  const transform = vi.fn<SourceLoop['transform']>((raw: unknown) => batchOf(raw as number[]));
  return {
    name: 'entries',
    collections: ['entries'],
    expectedIntervalMs: 5 * MIN,
    lagMs: 20 * SEC,
    historyMs: 24 * 60 * MIN,
    maxRetries: 2,
    backoff: { baseMs: 5 * SEC, capMs: 30 * MIN },
    readings,
    ...rest,
    fetch: overrides.fetch ? vi.fn(overrides.fetch) : fetch,
    transform: overrides.transform ? vi.fn(overrides.transform) : transform,
  };
}

export interface FakeSession {
  functions: SessionFunctions;
  authenticate: ReturnType<typeof vi.fn<SessionFunctions['authenticate']>>;
  authorize: ReturnType<typeof vi.fn<SessionFunctions['authorize']>>;
  /** Every session object handed out, in order. */
  sessions: { id: number }[];
}

export function fakeSession(overrides: Partial<SessionFunctions> = {}): FakeSession {
  const sessions: { id: number }[] = [];
  const authenticate = vi.fn<SessionFunctions['authenticate']>(overrides.authenticate ?? (() => Promise.resolve({ token: 'tok' })));
  const authorize = vi.fn<SessionFunctions['authorize']>(
    overrides.authorize ??
      (() => {
        const s = { id: sessions.length + 1 };
        sessions.push(s);
        return Promise.resolve(s);
      }),
  );
  const functions: SessionFunctions = { ...overrides, authenticate, authorize };
  return { functions, authenticate, authorize, sessions };
}

export interface FakeOutput extends Output {
  stored: Batch[];
  storeCalls: number;
  /** What `newest()` answers; undefined = computed from what was stored. */
  newestAnswer: NewestDates | Error | undefined;
}

/** An output that remembers what it stored and dedupes by identifier, like the real ones. */
export function fakeOutput(
  name: string,
  behaviour: { store?: (batch: Batch, signal: AbortSignal) => Promise<StoreResult>; newest?: NewestDates | Error } = {},
): FakeOutput {
  const seen = new Set<string>();
  const out: FakeOutput = {
    name,
    stored: [],
    storeCalls: 0,
    newestAnswer: behaviour.newest,
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    newest: () => {
      if (out.newestAnswer instanceof Error) return Promise.reject(out.newestAnswer);
      if (out.newestAnswer) return Promise.resolve(out.newestAnswer);
      const dates = out.stored.flatMap((b) => b.entries.map((e) => e.date));
      return Promise.resolve(dates.length > 0 ? { entries: Math.max(...dates) } : {});
    },
    store: (batch, signal) => {
      out.storeCalls++;
      if (behaviour.store) {
        return behaviour.store(batch, signal).then((r) => {
          out.stored.push(batch);
          return r;
        });
      }
      const fresh = batch.entries.filter((e) => !seen.has(e.identifier));
      fresh.forEach((e) => seen.add(e.identifier));
      out.stored.push(batch);
      return Promise.resolve({ stored: fresh.length, duplicates: batch.entries.length - fresh.length });
    },
  };
  return out;
}

export function fakeDriver(session: FakeSession, loops: FakeLoop[]): SourceDriver {
  return { kind: 'fake', device: 'fake-cgm', session: session.functions, loops };
}

export interface Running {
  actor: ActorRefFrom<typeof pollerMachine>;
  events: BridgeEvent[];
  errors: unknown[];
  of<T extends BridgeEvent['type']>(type: T): Extract<BridgeEvent, { type: T }>[];
}

/** Starts a poller the way the composition root does, recording every BridgeEvent. */
export function startPoller(
  input: Omit<PollerInput, 'notify' | 'now' | 'bridgeId'> & Partial<PollerInput>,
  machine: typeof pollerMachine = pollerMachine,
): Running {
  const events: BridgeEvent[] = [];
  const errors: unknown[] = [];
  const actor = createActor(machine, {
    input: { bridgeId: 'test', now: () => Date.now(), rand: () => 0.5, notify: (e) => events.push(e), ...input },
  });
  actor.subscribe({ next: () => undefined, error: (e) => errors.push(e) });
  actor.start();
  return {
    actor,
    events,
    errors,
    of: <T extends BridgeEvent['type']>(type: T) => events.filter((e): e is Extract<BridgeEvent, { type: T }> => e.type === type),
  };
}

/** An actor that records what it receives; stands in for a frame or the poller. */
export function recorder<E extends { type: string }>() {
  const got: E[] = [];
  const ref = createActor(fromCallback<E>(({ receive }) => receive((e) => void got.push(e)))).start();
  return { got, ref };
}

/** A promise you resolve from the test, with the AbortSignal it was called with. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';

/**
 * A fake of what cgm-remote-monitor 15 hands a connect plugin: the
 * bus (`tick`, `data-received`, `data-processed` with a sandbox, `teardown`), the storage
 * collections with the site's own write rules, and `bootErrors`.
 *
 * - entries: replace-upsert on `sysTime` + `type` (`sysTime` from `dateString`, else `date`);
 * - treatments: replace-upsert on `identifier`, else `_id`, else `created_at` + `eventType`
 *   (`eventTime` becomes `created_at`);
 * - devicestatus: `insertMany`, no de-duplication at all;
 * - every write emits `data-received`; the data loader answers it (and `tick`) with a reload
 *   that emits `data-processed` carrying the sandbox. Nightscout debounces that by a second;
 *   here it runs on the next turn of the event loop, so tests never wait for a timer.
 */

type Doc = Record<string, unknown>;
type Callback = (err: unknown, docs?: unknown) => void;

export interface FakeCollection {
  readonly docs: Doc[];
  /** Every `create` call's documents, as received. */
  readonly calls: Doc[][];
  create(docs: Doc[], callback: Callback): void;
  /** The next `create` calls fail with this (Nightscout passes strings or errors). */
  failNext(err: unknown, times?: number): void;
}

export interface FakeSandbox {
  data: { sgvs: Doc[]; treatments: Doc[]; devicestatus: Doc[]; profile: Doc[] };
  lastEntry(list: Doc[]): Doc | undefined;
}

export interface FakeNightscoutCtx {
  bus: EventEmitter & { teardown(): void };
  entries: FakeCollection;
  treatments: FakeCollection;
  devicestatus: FakeCollection;
  profile: FakeCollection;
  bootErrors: { desc: string; err: string }[];
  /** The data loader's sandbox as of now. */
  sandbox(): FakeSandbox;
  /** Reloads now and emits `data-processed`, as Nightscout does after boot and every change. */
  reload(): FakeSandbox;
  /** Nightscout's heartbeat: `tick`, then a reload. */
  tick(): void;
  /** `data-processed` events emitted so far. */
  readonly processed: number;
  /** Resolves once `pred` holds, checked after every reload; rejects after `timeoutMs` (a safety net, not a wait). */
  until(pred: () => boolean, timeoutMs?: number): Promise<void>;
}

export interface FakeCtxOptions {
  /** What the site already holds. */
  entries?: Doc[];
  treatments?: Doc[];
  devicestatus?: Doc[];
  now?: () => number;
}

function msOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** Nightscout's upsert query for an incoming document, as a predicate on stored ones; undefined = plain insert. */
type UpsertQuery = (incoming: Doc) => ((stored: Doc) => boolean) | undefined;

function collection(onWrite: () => void, queryOf: UpsertQuery, normalise: (doc: Doc) => Doc, initial: Doc[]): FakeCollection {
  const docs: Doc[] = initial.map((d) => normalise({ ...d }));
  const calls: Doc[][] = [];
  let failures: unknown[] = [];
  return {
    docs,
    calls,
    create(given, callback) {
      calls.push(given.map((d) => ({ ...d })));
      const failure = failures.shift();
      if (failure !== undefined) {
        setImmediate(() => callback(failure));
        return;
      }
      for (const raw of given) {
        const doc = normalise(raw);
        const query = queryOf(doc);
        const at = query === undefined ? -1 : docs.findIndex(query);
        if (at >= 0) docs[at] = { ...doc, _id: docs[at]!._id };
        else docs.push({ ...doc, _id: doc._id ?? randomUUID() });
      }
      setImmediate(() => {
        onWrite();
        callback(null, given);
      });
    },
    failNext(err, times = 1) {
      failures = [...failures, ...Array.from({ length: times }, () => err)];
    },
  };
}

function entryNormalise(doc: Doc): Doc {
  const date = msOf(doc.dateString) ?? msOf(doc.date);
  if (date !== undefined) doc.sysTime = new Date(date).toISOString();
  return doc;
}

function treatmentNormalise(doc: Doc): Doc {
  if (doc.eventTime !== undefined) {
    doc.created_at = doc.eventTime;
    delete doc.eventTime;
  }
  const created = msOf(doc.created_at);
  if (created !== undefined) doc.created_at = new Date(created).toISOString();
  return doc;
}

const entryQuery: UpsertQuery = (doc) => (stored) => stored.sysTime === doc.sysTime && stored.type === doc.type;

const treatmentQuery: UpsertQuery = (doc) => {
  if (doc.identifier !== undefined) return (stored) => stored.identifier === doc.identifier;
  if (doc._id !== undefined) return (stored) => stored._id === doc._id;
  return (stored) => stored.created_at === doc.created_at && stored.eventType === doc.eventType;
};

const insertOnly: UpsertQuery = () => undefined;

export function createFakeNightscoutCtx(options: FakeCtxOptions = {}): FakeNightscoutCtx {
  const now = options.now ?? Date.now;
  const bus = Object.assign(new EventEmitter(), {
    teardown() {
      bus.emit('teardown');
    },
  });
  bus.setMaxListeners(50);
  let reloadQueued = false;
  let processed = 0;
  const queueReload = (): void => {
    if (reloadQueued) return;
    reloadQueued = true;
    setImmediate(() => {
      reloadQueued = false;
      ctx.reload();
    });
  };
  const dataReceived = (): void => {
    bus.emit('data-received');
  };
  bus.on('data-received', queueReload);

  const withMills = (docs: Doc[], field: string): Doc[] =>
    docs.map((d) => ({ ...d, mills: msOf(d[field]) })).filter((d) => d.mills !== undefined).sort((a, b) => (a.mills as number) - (b.mills as number));

  const ctx: FakeNightscoutCtx = {
    bus,
    entries: collection(dataReceived, entryQuery, entryNormalise, options.entries ?? []),
    treatments: collection(dataReceived, treatmentQuery, treatmentNormalise, options.treatments ?? []),
    devicestatus: collection(dataReceived, insertOnly, (d) => ({ created_at: new Date(now()).toISOString(), ...d }), options.devicestatus ?? []),
    profile: collection(dataReceived, insertOnly, (d) => d, []),
    bootErrors: [],
    sandbox() {
      return {
        data: {
          sgvs: withMills(ctx.entries.docs.filter((d) => d.type === 'sgv'), 'sysTime'),
          treatments: withMills(ctx.treatments.docs, 'created_at'),
          devicestatus: withMills(ctx.devicestatus.docs, 'created_at'),
          profile: ctx.profile.docs,
        },
        lastEntry(list) {
          return list.filter((d) => (d.mills as number) <= now()).at(-1);
        },
      };
    },
    reload() {
      const sbx = ctx.sandbox();
      processed += 1;
      bus.emit('data-processed', sbx);
      return sbx;
    },
    tick() {
      bus.emit('tick', { now: now() });
      queueReload();
    },
    get processed() {
      return processed;
    },
    until(pred, timeoutMs = 20_000) {
      if (pred()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pred()) return;
          clearTimeout(timer);
          bus.removeListener('data-processed', check);
          resolve();
        };
        const timer = setTimeout(() => {
          bus.removeListener('data-processed', check);
          reject(new Error('the fake Nightscout never reached the expected state'));
        }, timeoutMs);
        bus.on('data-processed', check);
      });
    },
  };
  return ctx;
}

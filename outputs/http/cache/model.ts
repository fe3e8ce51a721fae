import type { BridgeEvent } from '../../../lib/contracts/bridge-events.js';
import type { Entry } from '../../../lib/domain.js';
import { describeError } from '../../../lib/errors.js';
import { isFuture } from '../../../lib/future.js';
import type { BridgeHealth, BridgeInfo, LoopHealth, OutputHealth, Reading, SessionState, StatusModel, StatusSnapshot } from './types.js';

/** The reading cache keeps this much history (the status page's chart and `/glucose?since=`). */
export const CACHE_MS = 24 * 60 * 60_000;

/** "Recent" means within this many expected intervals, plus `READY_SLACK_MS` for lag and retries. */
export const READY_INTERVALS = 2;
export const READY_SLACK_MS = 60_000;

export interface StatusModelOptions {
  now: () => number;
  version: string;
  /**
   * In a fleet a process runs only the bridges it holds the lease of: readiness then asks only
   * about those (none held is ready: a standby), or every process would answer not ready.
   */
  runsHere?: ((bridgeId: string) => boolean) | undefined;
}

interface BridgeState {
  info: BridgeInfo;
  session: SessionState;
  sessionError: string | undefined;
  loops: Map<string, LoopHealth>;
  outputs: Map<string, OutputHealth>;
  /** Readings by `date`: one per time, the newest transform wins. */
  readings: Map<number, Reading>;
}

function newBridge(info: BridgeInfo): BridgeState {
  return {
    info,
    session: 'none',
    sessionError: undefined,
    loops: new Map(info.loops.map((l) => [l.name, { name: l.name }])),
    outputs: new Map(info.outputs.map((name) => [name, { name, state: 'unknown', waiting: 0 }])),
    readings: new Map(),
  };
}

/** A sensor glucose entry as a reading of `bridge`; undefined for anything else. */
export function toReading(entry: Entry, bridge: Pick<BridgeInfo, 'id' | 'source'>): Reading | undefined {
  // Only sensor glucose is a "reading"; meter (`mbg`) and calibration entries are not shown as current.
  if (entry.type !== 'sgv' || typeof entry.sgv !== 'number' || !Number.isFinite(entry.sgv)) return undefined;
  return { date: entry.date, sgv: entry.sgv, direction: entry.direction, trend: entry.trend, device: entry.device, bridge: bridge.id, source: bridge.source };
}

/**
 * Pure state from the bridges' events (no I/O, injected clock): what `/readyz`, `/glucose*`, the
 * status page and metrics show. Readings older than 24 h are dropped, so nothing stale is kept.
 */
export function createStatusModel(bridges: BridgeInfo[], options: StatusModelOptions): StatusModel {
  const { now } = options;
  const startedMs = now();
  const state = new Map(bridges.map((b) => [b.id, newBridge(b)]));
  let sorted: Reading[] | undefined;

  function prune(b: BridgeState, nowMs: number): void {
    for (const date of b.readings.keys()) if (date < nowMs - CACHE_MS) b.readings.delete(date);
  }

  function output(b: BridgeState, name: string): OutputHealth {
    let o = b.outputs.get(name);
    if (!o) b.outputs.set(name, (o = { name, state: 'unknown', waiting: 0 }));
    return o;
  }

  function loop(b: BridgeState, name: string): LoopHealth {
    let l = b.loops.get(name);
    if (!l) b.loops.set(name, (l = { name }));
    return l;
  }

  function observe(event: BridgeEvent): void {
    const b = state.get(event.bridgeId);
    if (!b) return;
    switch (event.type) {
      case 'session.established':
        b.session = 'established';
        b.sessionError = undefined;
        return;
      case 'session.failed':
        b.session = 'failed';
        b.sessionError = describeError(event.error);
        return;
      case 'session.expired':
        b.session = 'expired';
        return;
      case 'frame.transformed': {
        const nowMs = now();
        for (const entry of event.batch.entries) {
          // A reading from the future is nobody's current glucose (DLQ004).
          if (isFuture(entry.date, nowMs)) continue;
          const r = toReading(entry, b.info);
          if (r) b.readings.set(r.date, r);
        }
        prune(b, nowMs);
        sorted = undefined;
        return;
      }
      case 'output.delivery': {
        const o = output(b, event.report.output);
        o.waiting = event.report.waiting;
        if (event.report.state === 'unavailable') {
          o.state = 'queueing';
          if (event.report.error !== undefined) o.lastError = describeError(event.report.error);
        } else if (event.report.state === 'backlog') {
          o.state = 'catching up';
          o.lastStoredMs = now();
        } else if (o.state === 'catching up' || o.state === 'queueing') {
          o.state = 'ok';
          o.lastError = undefined;
        }
        return;
      }
      case 'frame.stored': {
        const o = output(b, event.output);
        const { result } = event;
        o.waiting = result.waiting ?? 0;
        if (result.delivery === 'backlog') {
          o.state = 'catching up';
          o.lastStoredMs = now();
          o.lastError = undefined;
        } else if ((result.queued ?? 0) > 0 || result.delivery === 'unavailable' || result.error !== undefined) {
          o.state = 'queueing';
          o.lastError = result.error === undefined ? o.lastError : describeError(result.error);
        } else {
          o.state = 'ok';
          o.lastStoredMs = now();
          o.lastError = undefined;
        }
        return;
      }
      case 'frame.outputFailed': {
        const o = output(b, event.output);
        o.state = 'failing';
        o.lastError = describeError(event.error);
        return;
      }
      case 'frame.done': {
        const l = loop(b, event.loop);
        l.lastOutcome = event.result.outcome;
        if (event.result.outcome === 'success') {
          l.lastSuccessMs = now();
          l.lastError = undefined;
        } else if (event.result.error !== undefined) {
          l.lastError = describeError(event.result.error);
        }
        return;
      }
      default:
        return;
    }
  }

  function restore(restored: readonly Reading[]): void {
    const nowMs = now();
    for (const r of restored) {
      const b = state.get(r.bridge);
      // Another source under the same bridge id (a config change) is not this bridge's history:
      // simulated glucose must never be shown as a real person's.
      if (!b || r.source !== b.info.source || isFuture(r.date, nowMs)) continue;
      // A reading that arrived live is newer news than the saved copy of the same time.
      if (!b.readings.has(r.date)) b.readings.set(r.date, { ...r });
    }
    for (const b of state.values()) prune(b, nowMs);
    sorted = undefined;
  }

  function isReady(b: BridgeState, nowMs: number): boolean {
    if (b.session !== 'established') return false;
    return b.info.loops.every((info) => {
      const success = b.loops.get(info.name)?.lastSuccessMs;
      return success !== undefined && nowMs - success <= READY_INTERVALS * info.expectedIntervalMs + READY_SLACK_MS;
    });
  }

  function snapshot(): StatusSnapshot {
    const nowMs = now();
    const list: BridgeHealth[] = [...state.values()].map((b) => ({
      id: b.info.id,
      source: b.info.source,
      session: b.session,
      sessionError: b.sessionError,
      loops: [...b.loops.values()].map((l) => ({ ...l })),
      outputs: [...b.outputs.values()].map((o) => ({ ...o })),
      ready: isReady(b, nowMs),
    }));
    const counted = options.runsHere ? list.filter((b) => options.runsHere?.(b.id)) : list;
    return { version: options.version, startedMs, nowMs, bridges: list, ready: list.length > 0 && counted.every((b) => b.ready) };
  }

  /** Every bridge's readings, newest first, cached until the next batch. */
  function all(): Reading[] {
    sorted ??= [...state.values()].flatMap((b) => [...b.readings.values()]).sort((a, b) => b.date - a.date || a.bridge.localeCompare(b.bridge));
    return sorted;
  }

  function readings(opts: { count?: number; sinceMs?: number; bridge?: string } = {}): Reading[] {
    const oldest = Math.max(now() - CACHE_MS, opts.sinceMs === undefined ? -Infinity : opts.sinceMs + 1);
    const out: Reading[] = [];
    for (const r of all()) {
      if (r.date < oldest) break;
      if (opts.count !== undefined && out.length >= opts.count) break;
      if (opts.bridge === undefined || r.bridge === opts.bridge) out.push(r);
    }
    return out;
  }

  /** A bridge started after the others (a person a follower account began to follow). */
  function add(info: BridgeInfo): void {
    if (!state.has(info.id)) state.set(info.id, newBridge(info));
  }

  /** A retired bridge leaves the status and its cached readings; what its outputs stored stays. */
  function remove(id: string): void {
    if (state.delete(id)) sorted = undefined;
  }

  return { observe, restore, snapshot, readings, latest: (bridge?: string) => readings({ count: 1, ...(bridge === undefined ? {} : { bridge }) })[0], add, remove };
}

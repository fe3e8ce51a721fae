import type { BridgeEvent } from '../../lib/contracts/bridge-events.js';
import type { Direction, Entry } from '../../lib/domain.js';
import { emptyBatch } from '../../lib/domain.js';
import type { BridgeInfo } from '../../outputs/http/cache/types.js';

/** Synthetic bridge events for the status model, metrics and HTTP tests. */

export const MINUTE = 60_000;

export const SIM_BRIDGE: BridgeInfo = {
  id: 'sim',
  source: 'simulator',
  outputs: ['filesystem', 'nightscout'],
  loops: [{ name: 'entries', expectedIntervalMs: 5 * MINUTE }],
};

export function entry(date: number, sgv: number, direction: Direction | null = 'Flat'): Entry {
  return {
    type: 'sgv',
    date,
    sgv,
    device: 'gluco-hub-simulator',
    identifier: '00000000-0000-5000-8000-000000000000',
    dateString: new Date(date).toISOString(),
    ...(direction ? { direction } : {}),
  };
}

export function transformed(entries: Entry[], bridgeId = SIM_BRIDGE.id, loop = 'entries'): BridgeEvent {
  return { type: 'frame.transformed', bridgeId, loop, batch: { ...emptyBatch(), entries } };
}

export function done(outcome: 'success' | 'failed' | 'skipped', bridgeId = SIM_BRIDGE.id, loop = 'entries', error?: unknown): BridgeEvent {
  return { type: 'frame.done', bridgeId, loop, result: { outcome, fetched: 0, ...(error === undefined ? {} : { error }) } };
}

export const established = (bridgeId = SIM_BRIDGE.id): BridgeEvent => ({ type: 'session.established', bridgeId });

import type { Direction } from '../../lib/domain.js';
import type { BridgeHealth, Reading, StatusSnapshot } from '../../outputs/http/cache/types.js';

/** Synthetic status-model data for the status page's tests: a day of readings and a snapshot. */

export const NOW = Date.UTC(2025, 2, 10, 8, 0, 0);
const MIN = 60_000;

export function reading(date: number, sgv: number, direction: Direction | undefined = 'Flat', extra: Partial<Reading> = {}): Reading {
  return { date, sgv, direction, device: 'gluco-hub-simulator', bridge: 'sim', source: 'simulator', ...extra };
}

/**
 * A plausible day, newest first: one reading every 5 min for 24 h ending `ageMs` before `nowMs`,
 * with a night low, meal peaks above range and the latest value (`latestSgv`) rising.
 */
export function dayOfReadings(nowMs = NOW, opts: { ageMs?: number; latestSgv?: number } = {}): Reading[] {
  const ageMs = opts.ageMs ?? 3 * MIN;
  const out: Reading[] = [];
  for (let i = 0; i < 288; i++) {
    const date = nowMs - ageMs - i * 5 * MIN;
    const h = i / 12; // hours before the newest reading
    const curve =
      130 +
      45 * Math.sin((h / 24) * 2 * Math.PI) +
      95 * Math.exp(-(((h - 4) / 1.2) ** 2)) +
      70 * Math.exp(-(((h - 10) / 1.5) ** 2)) -
      62 * Math.exp(-(((h - 19) / 1.3) ** 2)) +
      6 * Math.sin(i * 1.7);
    out.push(reading(date, Math.round(Math.min(400, Math.max(40, curve))), 'Flat'));
  }
  // The newest reading rises from the one before, as its arrow says.
  out[0] = reading(out[0]!.date, opts.latestSgv ?? out[1]!.sgv + 7, 'SingleUp');
  return out;
}

export function healthyBridge(nowMs = NOW): BridgeHealth {
  return {
    id: 'sim',
    source: 'simulator',
    session: 'established',
    ready: true,
    loops: [
      { name: 'entries', lastOutcome: 'success', lastSuccessMs: nowMs - 2 * MIN },
      { name: 'treatments', lastOutcome: 'success', lastSuccessMs: nowMs - 4 * MIN },
    ],
    outputs: [
      { name: 'nightscout', state: 'ok', lastStoredMs: nowMs - 2 * MIN, waiting: 0 },
      { name: 'files', state: 'ok', lastStoredMs: nowMs - 2 * MIN, waiting: 0 },
    ],
  };
}

/** A second bridge in trouble: a failed session, a failing loop, a queueing output. */
export function troubledBridge(nowMs = NOW, error = 'LLU101 LibreLinkUp refused the credentials (HTTP 401)'): BridgeHealth {
  return {
    id: 'libre-mum',
    source: 'linkup',
    session: 'failed',
    sessionError: error,
    ready: false,
    loops: [{ name: 'entries', lastOutcome: 'failed', lastSuccessMs: nowMs - 47 * MIN, lastError: error }],
    outputs: [{ name: 'nightscout', state: 'queueing', lastStoredMs: nowMs - 47 * MIN, waiting: 12, lastError: 'NS003 Nightscout answered 503' }],
  };
}

export function snapshot(bridges: BridgeHealth[] = [healthyBridge()], nowMs = NOW): StatusSnapshot {
  return { version: '0.1.0', startedMs: nowMs - 5 * 3_600_000, nowMs, bridges, ready: bridges.every((b) => b.ready) };
}

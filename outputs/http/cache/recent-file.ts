import type { BridgeEvent } from '../../../lib/contracts/bridge-events.js';
import type { Logger } from '../../../lib/logger.js';
import type { StateStore } from '../../../lib/state-store.js';
import { toReading } from './model.js';
import { admissionFloor, admitToRing, compactionDue, restoreRing, RING_KEY, ringLines, ringReadings, toRingLine, type Ring, type RingLine } from './recent-ring.js';
import type { Reading } from './types.js';

/**
 * Each bridge's last 24 h of readings, kept in its state folder (`recent-readings.jsonl`) as they
 * arrive, so that after a restart the status page and `/glucose` show the day they showed before,
 * whatever outputs are configured. New readings are appended (a line each, no rewrite); the file
 * is rewritten atomically at the first write after start-up and whenever it holds about twice
 * what it keeps. Only the process holding the state folder's lock writes (`forever`, `capture
 * --persist`; beside a running bridge capture's state store is read-only), so two writers never
 * meet. A failed write costs only the warm start: one warning, and the bridge goes on.
 */
export interface RecentReadings {
  /** Every bridge's saved readings; a missing or unreadable file is a cold start. Call before any event. */
  restore(): Promise<Reading[]>;
  observe(event: BridgeEvent): void;
  /** A bridge started later (a person a follower account began to follow): its saved readings, kept from now on. */
  add?(bridge: RingBridge): Promise<Reading[]>;
  /** A bridge stopped here (its lease moved on, a person retired): its writes finish, and its ring is forgotten. */
  drop?(bridgeId: string): Promise<void>;
  /** Resolves once every write asked for so far has been tried. */
  flush(): Promise<void>;
}

export interface RingBridge {
  id: string;
  source: string;
  state: StateStore;
  log: Logger;
}

interface BridgeRing {
  bridge: RingBridge;
  ring: Ring;
  /** Lines in the file, torn or not, as far as this process knows. */
  fileLines: number;
  /** Lines to append at the next write. */
  pending: RingLine[];
  /** The next write rewrites the file: at start-up, when it has grown, and after a failed write (it may have left a torn line). */
  rewrite: boolean;
  /** Writes run one after another, never two at once on one file. */
  writes: Promise<void>;
  /** Warned about a failed write and not yet written since: one warning per outage, not one per reading. */
  failing: boolean;
}

export function createRecentReadings(bridges: readonly RingBridge[], now: () => number): RecentReadings {
  const newRing = (bridge: RingBridge): BridgeRing => ({ bridge, ring: new Map(), fileLines: 0, pending: [], rewrite: false, writes: Promise.resolve(), failing: false });
  const rings = new Map<string, BridgeRing>(bridges.map((bridge) => [bridge.id, newRing(bridge)]));

  async function write(r: BridgeRing): Promise<void> {
    const lines = r.pending.splice(0);
    const rewrite = r.rewrite;
    r.rewrite = false;
    if (!rewrite && lines.length === 0) return;
    try {
      if (rewrite) {
        const all = ringLines(r.ring);
        await r.bridge.state.writeLines(RING_KEY, all);
        r.fileLines = all.length;
      } else {
        await r.bridge.state.appendLines(RING_KEY, lines);
        r.fileLines += lines.length;
      }
      r.failing = false;
    } catch (err) {
      r.rewrite = true;
      if (!r.failing) r.bridge.log.warn({ err }, 'could not save the recent readings; the status page will start without them after a restart');
      r.failing = true;
    }
  }

  function schedule(r: BridgeRing): void {
    r.writes = r.writes.then(() => write(r));
  }

  async function restoreOne(r: BridgeRing): Promise<Reading[]> {
    let lines: unknown[] | undefined;
    let unreadable = false;
    try {
      lines = await r.bridge.state.readLines(RING_KEY);
    } catch (err) {
      unreadable = true;
      r.bridge.log.warn({ err }, 'could not read the recent readings; the status page starts without them');
    }
    r.ring = restoreRing(lines ?? [], r.bridge.source, now());
    // The first write rewrites the file: torn, aged, foreign or unreadable lines go, and the next
    // append starts on a fresh line instead of being glued to a torn one. Not now: start-up writes nothing.
    r.rewrite = lines !== undefined || unreadable;
    return ringReadings(r.ring, r.bridge.id);
  }

  return {
    async restore() {
      const restored: Reading[] = [];
      // One bridge at a time: a fleet of a thousand does not open a thousand files at once.
      for (const r of rings.values()) restored.push(...(await restoreOne(r)));
      return restored;
    },
    async add(bridge) {
      const known = rings.get(bridge.id);
      if (known) return ringReadings(known.ring, bridge.id);
      const r = newRing(bridge);
      rings.set(bridge.id, r);
      return restoreOne(r);
    },
    observe(event) {
      if (event.type !== 'frame.transformed') return;
      const r = rings.get(event.bridgeId);
      if (!r) return;
      const nowMs = now();
      const { entries } = event.batch;
      const floor = admissionFloor(r.ring, entries.map((e) => e.date), nowMs);
      const lines: RingLine[] = [];
      for (const e of entries) {
        const reading = e.date >= floor ? toReading(e, r.bridge) : undefined;
        if (reading) lines.push(toRingLine(reading));
      }
      const news = admitToRing(r.ring, lines, nowMs);
      r.pending.push(...news);
      if (compactionDue(r.fileLines + r.pending.length, r.ring.size)) r.rewrite = true;
      if (r.pending.length > 0 || r.rewrite) schedule(r);
    },
    async drop(bridgeId) {
      const r = rings.get(bridgeId);
      if (!r) return;
      rings.delete(bridgeId);
      await r.writes;
    },
    async flush() {
      await Promise.all([...rings.values()].map((r) => r.writes));
    },
  };
}

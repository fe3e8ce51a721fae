import type { BridgeConfig } from '../lib/config/schema.js';
import type { Logger } from '../lib/logger.js';
import type { StateStore } from '../lib/state-store.js';
import { leaseGated } from '../lib/fleet/lease-gate.js';
import { presentOnly } from './present-only.js';
import { reliable } from './reliable/index.js';
import { DEFAULT_HORIZON_MS } from './reliable/router.js';
import type { DeliveryReport, Output } from '../lib/contracts/output.js';

/** Output settings that are present in the bridge's config, in a fixed order. */
const OUTPUT_KEYS = ['filesystem', 'nightscout', 'mqtt'] as const;

/** The followed person as the source settings pin them (LibreLink Up, CareLink), for the MQTT readings. */
function pinnedPatient(source: BridgeConfig['source']): string | undefined {
  if (source.kind === 'linkup') return source.patientName ?? source.patientId;
  if (source.kind === 'minimedcarelink') return source.patientUsername;
  return undefined;
}

/** What outputs get from the process: the clock and the bridge's logger. */
export interface OutputDeps {
  now: () => number;
  log: Logger;
  /**
   * The bridge's state store: each output then runs behind its router and dead-letter queue
   * (`forever`). Without it the outputs are bare, so a one-off `capture --persist` reports
   * every failure instead of queueing it.
   */
  state?: StateStore;
  /** Outputs the process itself provides (gluco-hub inside Nightscout: its storage), before the configured ones. */
  provided?: readonly Output[];
  /** The source's `lateArrivalMs`: the routers accept documents this far behind their newest (never less than 24 h). */
  lateArrivalMs?: number;
  /** Hears each reliable output's delivery state (backlog, unavailable, current), between frames too. */
  onDelivery?: (report: DeliveryReport) => void;
  /**
   * In a fleet: whether this process's lease on the bridge is still trusted. Every write to a
   * destination waits on it, a frame's batch and a dead-letter queue's delivery alike (FLEET007).
   */
  holds?: () => boolean;
}

/**
 * Builds every output the bridge configures: an output runs when its settings are present.
 */
export async function createOutputs(bridge: BridgeConfig, deps: OutputDeps): Promise<Output[]> {
  const outputs: Output[] = [...(deps.provided ?? [])];
  for (const key of OUTPUT_KEYS) {
    if (key === 'filesystem' && bridge.filesystem) {
      const { createFilesystemOutput } = await import('./filesystem/index.js');
      outputs.push(
        createFilesystemOutput(
          { dir: bridge.filesystem.dir, mode: bridge.filesystem.mode, keepDays: bridge.filesystem.keepDays },
          { now: deps.now, log: deps.log.child({ output: 'filesystem' }) },
        ),
      );
    } else if (key === 'nightscout' && bridge.nightscout) {
      const { createNightscoutOutput } = await import('./nightscout/index.js');
      outputs.push(createNightscoutOutput(bridge.nightscout, { now: deps.now, log: deps.log.child({ output: 'nightscout' }) }));
    } else if (key === 'mqtt' && bridge.mqtt) {
      const { createMqttOutput } = await import('./mqtt/index.js');
      outputs.push(
        createMqttOutput(bridge.mqtt, {
          now: deps.now,
          log: deps.log,
          bridgeId: bridge.id,
          source: bridge.source.kind,
          patient: pinnedPatient(bridge.source),
        }),
      );
    }
  }
  const { state, holds } = deps;
  const gate = (o: Output): Output => (holds ? leaseGated(o, bridge.id, holds) : o);
  if (!state) return outputs.map((o) => gate(presentOnly(o, deps.now)));
  const horizonMs = Math.max(DEFAULT_HORIZON_MS, deps.lateArrivalMs ?? 0);
  const { onDelivery } = deps;
  // Gated inside the queue: a batch the lease no longer covers stays queued, and the queue is saved
  // in the bridge's state, fenced by the same lease. Saved, the next owner delivers it (a reading
  // the vendor served only once is not lost); refused, the next owner took over first and fetches it.
  return outputs.map((o) => reliable(gate(o), { state, log: deps.log, now: deps.now, maxEntries: bridge.dlq.maxEntries, horizonMs, ...(onDelivery ? { onDelivery } : {}) }));
}

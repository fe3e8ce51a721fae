import { createActor, toPromise } from 'xstate';
import { pollerMachine } from '../machines/index.js';
import type { BridgeEvent, FrameResult } from '../lib/contracts/bridge-events.js';
import { createOutputs } from '../outputs/registry.js';
import type { Output } from '../lib/contracts/output.js';
import { createDriver } from '../sources/registry.js';
import { bridgeLogger } from './bridge-log.js';
import type { BridgeConfig, Config } from '../lib/config/schema.js';
import { driverContext } from './driver-context.js';
import { egressOnly } from '../lib/request-budget.js';
import { gateOptions } from '../lib/fleet/budget-keys.js';
import { lockHolder, lockStateDir } from '../lib/state-lock.js';
import { createRecentReadings } from '../outputs/http/cache/recent-file.js';
import { ensureWritableDir } from '../lib/state-store.js';
import type { Batch } from '../lib/domain.js';
import type { Logger } from '../lib/logger.js';
import type { FetchWindow } from '../lib/contracts/source.js';

export interface CapturedLoop {
  loop: string;
  window?: FetchWindow;
  /** The vendor's answer, as the driver returned it. */
  raw?: unknown;
  /** The Nightscout documents it became. */
  batch?: Batch;
  result?: FrameResult;
  /** With `persist`: documents newly written, summed over outputs. */
  stored?: number;
}

export interface Capture {
  bridge: string;
  source: string;
  loops: CapturedLoop[];
  /** Whether the documents were written to the configured outputs. */
  persisted: boolean;
}

/**
 * One fetch frame per loop of a bridge's source, through the real machines. Without `persist`
 * no output is built, so nothing is written and gap analysis falls back to the vendor's history.
 */
export async function captureOnce(
  config: Config,
  bridge: BridgeConfig,
  deps: { log: Logger; persist: boolean; now?: () => number },
): Promise<Capture> {
  const now = deps.now ?? Date.now;
  if (config.state.url !== undefined) {
    // A fleet's state is in Redis, and its lease, not the folder's lock, says who runs the bridge.
    const { commandState } = await import('./fleet/command-state.js');
    const state = await commandState(config, bridge, deps.log, { lease: true });
    try {
      return await captureWith(config, bridge, deps, now, state.options);
    } finally {
      await state.close();
    }
  }
  ensureWritableDir(config.stateDir);
  // A running bridge owns the folder: read its sessions, change nothing (its CareLink login would die of a refresh here).
  const owner = lockHolder(config.stateDir);
  if (owner) {
    deps.log.warn(
      { pid: owner.pid, command: owner.command },
      `another gluco-hub process (pid ${owner.pid}, "${owner.command}") uses the state folder ${config.stateDir}: capture uses its saved sessions as they are, saves nothing and never refreshes a rotating login`,
    );
  }
  const lock = owner ? undefined : lockStateDir(config.stateDir, 'capture');
  try {
    return await captureWith(config, bridge, deps, now, { sharedState: owner !== undefined }, true);
  } finally {
    lock?.release();
  }
}

async function captureWith(
  config: Config,
  bridge: BridgeConfig,
  deps: { log: Logger; persist: boolean },
  now: () => number,
  state: Parameters<typeof driverContext>[5],
  keepRecent = false,
): Promise<Capture> {
  const ctx = driverContext(config, bridge, deps.log, now, egressOnly(gateOptions(config, bridge).localAddress), state);
  const driver = await createDriver(bridge.source, ctx);
  // What --persist writes is also what the next `forever` shows from its first request. Beside a
  // running bridge the state store is read-only, so its ring is left as it is. A fleet keeps no ring.
  const recent = deps.persist && keepRecent ? createRecentReadings([{ id: bridge.id, source: bridge.source.kind, state: ctx.state, log: ctx.log }], now) : undefined;
  await recent?.restore();
  const outputs: Output[] = deps.persist ? await createOutputs(bridge, { now, log: deps.log.child({ bridge: bridge.id }) }) : [];
  for (const o of outputs) await o.start();
  const loops = new Map<string, CapturedLoop>(driver.loops.map((l) => [l.name, { loop: l.name }]));
  // The capture itself is the report; only failures, a long fetch's one line and debug detail go to the log.
  const toLog = bridgeLogger(deps.log.child({ bridge: bridge.id, source: bridge.source.kind }), { quietSuccess: true, now });
  const record = (event: BridgeEvent): void => {
    toLog(event);
    recent?.observe(event);
    if (!('loop' in event)) return;
    const entry = loops.get(event.loop);
    if (!entry) return;
    if (event.type === 'frame.fetched') Object.assign(entry, { window: event.window, raw: event.raw });
    if (event.type === 'frame.transformed') entry.batch = event.batch;
    if (event.type === 'frame.stored') entry.stored = (entry.stored ?? 0) + event.result.stored;
  };
  const actor = createActor(pollerMachine, {
    input: { bridgeId: bridge.id, driver, outputs, now, notify: record, once: true },
  });
  actor.start();
  try {
    const output = (await toPromise(actor)) as { results: Record<string, FrameResult> } | undefined;
    for (const [name, result] of Object.entries(output?.results ?? {})) {
      const entry = loops.get(name);
      if (entry) entry.result = result;
    }
  } finally {
    actor.stop();
    await Promise.all(outputs.map((o) => o.stop()));
    await recent?.flush();
  }
  return { bridge: bridge.id, source: bridge.source.kind, loops: [...loops.values()], persisted: deps.persist };
}

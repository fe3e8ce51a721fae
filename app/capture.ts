import { createActor, toPromise } from 'xstate';
import { pollerMachine } from '../machines/index.js';
import type { BridgeEvent, FrameResult } from '../lib/contracts/bridge-events.js';
import { createOutputs } from '../outputs/registry.js';
import type { Output } from '../lib/contracts/output.js';
import { createDriver } from '../sources/registry.js';
import { bridgeLogger } from './bridge-log.js';
import type { BridgeConfig, Config } from '../lib/config/schema.js';
import { driverContext, type StateOptions } from './driver-context.js';
import { egressOnly } from '../lib/request-budget.js';
import { gateOptions } from '../lib/fleet/budget-keys.js';
import { lockHolder, lockStateDir } from '../lib/state-lock.js';
import { createRecentReadings } from '../outputs/http/cache/recent-file.js';
import { ensureWritableDir } from '../lib/state-store.js';
import type { Batch } from '../lib/domain.js';
import type { Logger } from '../lib/logger.js';
import type { DriverContext, FetchWindow, SourceDriver } from '../lib/contracts/source.js';
import { followedPatients } from '../lib/config/schema.js';
import { ConfigError } from '../lib/errors.js';
import { followAccount, followsSeveral } from './follow-account.js';
import { personBridge, personSlugs, wantedPeople, type Person } from './followed-people.js';

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
  /** A person a follower account follows (`<account>-<slug>`): who, and the account's bridge. */
  follows?: { account: string; patientId: string; name: string };
}

export interface CaptureDeps {
  log: Logger;
  persist: boolean;
  now?: () => number;
  /** A follower account's bridge: capture only this person's bridge id, not everyone it follows. */
  only?: string | undefined;
}

/**
 * One fetch frame per loop of a bridge's source, through the real machines. Without `persist`
 * no output is built, so nothing is written and gap analysis falls back to the vendor's history.
 */
export async function captureOnce(config: Config, bridge: BridgeConfig, deps: CaptureDeps): Promise<Capture> {
  const now = deps.now ?? Date.now;
  return withState(config, bridge, deps.log, (state) => captureWith(config, bridge, deps, now, state.options));
}

/**
 * What `capture` shows of a configured bridge: its own frame, or for a bridge that follows several
 * people, the account's one login and list of who it follows, then a frame per person (each under
 * their own bridge id, state and outputs, as `forever` runs them).
 */
export async function captureBridge(config: Config, bridge: BridgeConfig, deps: CaptureDeps): Promise<Capture[]> {
  if (!followsSeveral(bridge)) return [await captureOnce(config, bridge, deps)];
  const now = deps.now ?? Date.now;
  return withState(config, bridge, deps.log, (state) => captureAccount(config, bridge, deps, now, state));
}

interface CaptureState {
  options: StateOptions;
  optionsFor(personBridgeId: string): StateOptions;
}

/**
 * Runs a capture with the bridge's state as `forever` would have it: in a fleet, Redis under the
 * bridge's lease (or read-only while another process holds it); else the state folder under its
 * lock (or read-only beside a running bridge, whose sessions it uses as they are).
 */
async function withState<T>(config: Config, bridge: BridgeConfig, log: Logger, run: (state: CaptureState) => Promise<T>): Promise<T> {
  if (config.state.url !== undefined) {
    // A fleet's state is in Redis, and its lease, not the folder's lock, says who runs the bridge.
    const { commandState } = await import('./fleet/command-state.js');
    const state = await commandState(config, bridge, log, { lease: true });
    try {
      return await run(state);
    } finally {
      await state.close();
    }
  }
  ensureWritableDir(config.stateDir);
  // A running bridge owns the folder: read its sessions, change nothing (its CareLink login would die of a refresh here).
  const owner = lockHolder(config.stateDir);
  if (owner) {
    log.warn(
      { pid: owner.pid, command: owner.command },
      `another gluco-hub process (pid ${owner.pid}, "${owner.command}") uses the state folder ${config.stateDir}: capture uses its saved sessions as they are, saves nothing and never refreshes a rotating login`,
    );
  }
  const lock = owner ? undefined : lockStateDir(config.stateDir, 'capture');
  const options = { sharedState: owner !== undefined };
  try {
    return await run({ options, optionsFor: () => options });
  } finally {
    lock?.release();
  }
}

/** A follower account: one login and one call for who it follows (shown as loop `people` when it fails), then each person's frame. */
async function captureAccount(config: Config, bridge: BridgeConfig, deps: CaptureDeps, now: () => number, state: CaptureState): Promise<Capture[]> {
  const ctx = driverContext(config, bridge, deps.log, now, egressOnly(gateOptions(config, bridge).localAddress), state.options);
  const followed = await followAccount(bridge, ctx);
  if (!followed) throw new Error(`bridge "${bridge.id}": source ${bridge.source.kind} cannot follow several people`);
  const { account, vendor } = followed;
  const failed = (error: unknown): Capture[] => [{ bridge: bridge.id, source: bridge.source.kind, loops: [{ loop: 'people', result: { outcome: 'failed', fetched: 0, error } }], persisted: deps.persist }];
  try {
    let listed: Person[];
    try {
      listed = await account.people(new AbortController().signal);
    } catch (error) {
      return failed(error);
    }
    const patients = followedPatients(bridge.source) ?? 'all';
    const wanted = wantedPeople(listed, patients);
    const slugs = personSlugs(wanted.map((p) => p.patientId));
    const people = wanted.map((person) => ({ person, config: personBridge(bridge, person, slugs.get(person.patientId)!) }));
    if (people.length === 0) {
      const whom = patients === 'all' ? 'nobody' : `none of the ${patients.length} listed in source.patients`;
      return failed(new ConfigError(vendor.nobodyCode, `the ${vendor.name} account follows ${whom}`, { hint: 'accept the invitation in the vendor\'s app, or check source.patients against who the account follows' }));
    }
    const chosen = people.filter((p) => deps.only === undefined || p.config.id === deps.only);
    if (chosen.length === 0) {
      throw new ConfigError('CAP001', `bridge "${bridge.id}" follows nobody with the bridge id "${deps.only}"; it follows: ${people.map((p) => `${p.config.id} (${p.person.name || p.person.patientId})`).join(', ')}`, {
        hint: 'pass --bridge with one of them, or the account\'s own id for everyone',
      });
    }
    const captures: Capture[] = [];
    for (const { person, config: personConfig } of chosen) {
      const capture = await captureWith(config, personConfig, deps, now, state.optionsFor(personConfig.id), (c) => account.driverFor(person, c));
      captures.push({ ...capture, follows: { account: bridge.id, patientId: person.patientId, name: person.name } });
    }
    return captures;
  } finally {
    account.close();
  }
}

async function captureWith(
  config: Config,
  bridge: BridgeConfig,
  deps: CaptureDeps,
  now: () => number,
  state: StateOptions,
  driverFor?: (ctx: DriverContext) => SourceDriver,
): Promise<Capture> {
  const ctx = driverContext(config, bridge, deps.log, now, egressOnly(gateOptions(config, bridge).localAddress), state);
  const driver = driverFor ? driverFor(ctx) : await createDriver(bridge.source, ctx);
  // What --persist writes is also what the next `forever` shows from its first request (in a fleet,
  // from Redis). Beside a running bridge the state store is read-only, so its ring is left as it is.
  const recent = deps.persist ? createRecentReadings([{ id: bridge.id, source: bridge.source.kind, state: ctx.state, log: ctx.log }], now) : undefined;
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

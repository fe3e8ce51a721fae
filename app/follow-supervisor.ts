import { followedPatients, type BridgeConfig } from '../lib/config/schema.js';
import { classify, describeError, errorCode } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { clampDelay, backoffMs } from '../lib/time.js';
import { personBridge, personSlugs, reconcilePeople, unmatchedPeopleKeys, wantedPeople, type Person } from './followed-people.js';

/**
 * Keeps one bridge running per person a follower account follows: after each connections call it
 * starts a bridge for everyone newly listed and retires (drains) the bridge of everyone no longer
 * listed, with one info line each. The account's poll runs on the source's interval, so a person
 * who comes or goes is picked up or retired within one poll. Nothing here deletes data: a retired
 * person's folder, state and Nightscout keep what they hold, and the same id comes back if they do.
 */

export interface FollowAccount {
  people(signal: AbortSignal): Promise<Person[]>;
}

export interface FollowSupervisorOptions {
  /** The account bridge as configured (`source.patients` set). */
  bridge: BridgeConfig;
  account: FollowAccount;
  /** How the log names the vendor, and the codes of its warnings: nobody followed, and a setting that matches nobody. */
  vendor: { name: string; nobodyCode: string; unmatchedCode: string };
  /** Time between connections calls: the source's poll interval. */
  intervalMs: number;
  log: Logger;
  rand?: () => number;
  now: () => number;
  /** Builds, starts and runs a person's bridge. */
  launch(bridge: BridgeConfig, person: Person): Promise<void>;
  /** Drains and stops a person's bridge. */
  retire(bridgeId: string): Promise<void>;
}

export interface FollowSupervisor {
  start(): void;
  /** Stops polling; the hub stops the persons' bridges with all the others. */
  stop(): Promise<void>;
  /** Patient id → bridge id of everyone followed now. */
  running(): ReadonlyMap<string, string>;
}

/** A failing connections call backs off from the poll interval up to this. */
const MAX_BACKOFF_MS = 30 * 60_000;


export function createFollowSupervisor(options: FollowSupervisorOptions): FollowSupervisor {
  const { bridge, log } = options;
  const { name: vendor, nobodyCode, unmatchedCode } = options.vendor;
  const rand = options.rand ?? Math.random;
  const patients = followedPatients(bridge.source) ?? 'all';
  const running = new Map<string, string>();
  /** Slugs once given keep their person's bridge id for the life of the process. */
  const slugs = new Map<string, string>();
  const warned = new Set<string>();
  const stopping = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let tick: Promise<void> = Promise.resolve();
  let failures = 0;

  function warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (warned.has(key)) return;
    warned.add(key);
    log.warn(fields, message);
  }

  function slugFor(person: Person, listed: readonly Person[]): string {
    const known = slugs.get(person.patientId);
    if (known !== undefined) return known;
    const fresh = personSlugs([...slugs.keys(), ...listed.map((p) => p.patientId)]).get(person.patientId)!;
    const taken = new Set(slugs.values());
    const slug = taken.has(fresh) ? `${fresh}-${slugs.size}` : fresh;
    slugs.set(person.patientId, slug);
    return slug;
  }

  function checkListed(listed: readonly Person[], wanted: readonly Person[]): void {
    if (listed.length === 0) warnOnce('nobody', { code: nobodyCode }, `[${nobodyCode}] the ${vendor} account follows nobody (yet): no person is read until someone is`);
    if (patients !== 'all') {
      for (const id of patients) {
        if (!wanted.some((p) => p.patientId === id)) warnOnce(`missing:${id}`, { code: unmatchedCode, patientId: id }, `[${unmatchedCode}] the ${vendor} account does not follow ${id} (listed in source.patients)`);
      }
    }
    const allSlugs = new Map(wanted.map((p) => [p.patientId, slugs.get(p.patientId) ?? personSlugs(wanted.map((w) => w.patientId)).get(p.patientId) ?? '']));
    for (const key of unmatchedPeopleKeys(bridge.people, wanted, allSlugs)) {
      warnOnce(`people:${key}`, { code: unmatchedCode, key }, `[${unmatchedCode}] people.${key} in the config names nobody this ${vendor} account follows; its settings are unused`);
    }
  }

  async function reconcile(): Promise<void> {
    const listed = await options.account.people(stopping.signal);
    const wanted = wantedPeople(listed, patients);
    checkListed(listed, wanted);
    const change = reconcilePeople([...running.keys()], wanted);
    for (const patientId of change.removed) {
      const id = running.get(patientId)!;
      running.delete(patientId);
      log.info({ patientId, personBridge: id }, `no longer followed by the account: retiring bridge ${id} (its data stays)`);
      await options.retire(id);
    }
    for (const person of change.added) {
      if (stopping.signal.aborted) return;
      const config = personBridge(bridge, person, slugFor(person, wanted));
      const outputs = [config.filesystem && 'filesystem', config.nightscout && 'nightscout', config.mqtt && 'mqtt'].filter(Boolean).join(', ') || 'none';
      log.info({ patientId: person.patientId, patient: person.name, personBridge: config.id, outputs }, `following ${person.name || person.patientId} as bridge ${config.id}`);
      if (!config.nightscout && bridge.people !== undefined) {
        warnOnce(`no-site:${person.patientId}`, { code: unmatchedCode, personBridge: config.id }, `[${unmatchedCode}] no Nightscout site for ${person.name || person.patientId}: add people.${person.patientId}.nightscout to give them one`);
      }
      try {
        await options.launch(config, person);
        running.set(person.patientId, config.id);
      } catch (error) {
        // Not running: the next poll tries again.
        log.error({ err: error, code: errorCode(error), personBridge: config.id }, `cannot start bridge ${config.id}: ${describeError(error)}`);
      }
    }
  }

  function schedule(delayMs: number): void {
    if (stopping.signal.aborted) return;
    timer = setTimeout(() => {
      timer = undefined;
      tick = run();
    }, clampDelay(delayMs));
  }

  async function run(): Promise<void> {
    try {
      await reconcile();
      failures = 0;
      schedule(options.intervalMs);
    } catch (error) {
      if (stopping.signal.aborted) return;
      failures += 1;
      const decision = classify(error, options.now());
      const vendorWait = decision.action === 'wait' ? decision.untilMs - options.now() : 0;
      const delay = Math.max(vendorWait, backoffMs(failures, { baseMs: options.intervalMs, capMs: Math.max(MAX_BACKOFF_MS, options.intervalMs) }, rand));
      log.warn({ err: error, code: errorCode(error), retryInMs: Math.round(delay) }, `cannot list who the ${vendor} account follows: ${describeError(error)}`);
      schedule(delay);
    }
  }

  return {
    start() {
      tick = run();
    },
    async stop() {
      stopping.abort(new Error('the hub stopped'));
      if (timer) clearTimeout(timer);
      await tick;
    },
    running: () => running,
  };
}

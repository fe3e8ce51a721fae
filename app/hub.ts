import { createActor, waitFor, type Actor } from 'xstate';
import { pollerMachine } from '../machines/index.js';
import type { BridgeEvent } from '../lib/contracts/bridge-events.js';
import type { FleetEvent } from '../lib/contracts/fleet-events.js';
import { createOutputs } from '../outputs/registry.js';
import type { Output } from '../lib/contracts/output.js';
import { createDriver } from '../sources/registry.js';
import type { DriverContext, SourceDriver } from '../lib/contracts/source.js';
import { bridgeLogger } from './bridge-log.js';
import type { BridgeConfig, Config } from '../lib/config/schema.js';
import { driverContext } from './driver-context.js';
import { describeError } from '../lib/errors.js';
import { ensureWritableDir, type StateStore } from '../lib/state-store.js';
import { createRequestBudget, type RequestBudget } from '../lib/request-budget.js';
import { gateOptions } from '../lib/fleet/budget-keys.js';
import { createStagger, type Stagger } from '../machines/stagger.js';
import type { Logger } from '../lib/logger.js';
import { createRecentReadings, type RecentReadings } from '../outputs/http/cache/recent-file.js';
import type { BridgeInfo, Reading } from '../outputs/http/cache/types.js';
import type { HttpActor } from '../outputs/http/index.js';
import type { PageInput, Units } from '../outputs/http/routes.js';
import type { HttpConfig } from '../lib/config/schema.js';
import { followAccount, followsSeveral, type PeopleAccount } from './follow-account.js';
import { createFollowSupervisor, type FollowSupervisor } from './follow-supervisor.js';
import type { Person } from './followed-people.js';

/** How long a stop may take before in-flight work is abandoned; the whole exit stays under 5 s. */
export const DRAIN_TIMEOUT_MS = 4_000;

export interface HubDeps {
  log: Logger;
  now?: () => number;
  /** Extra observer of every bridge's events (capture, metrics, tests). */
  observe?: (event: BridgeEvent) => void;
  /** Builds a bridge's driver; the source registry unless a test supplies a fake vendor. */
  createDriver?: typeof createDriver;
  /**
   * Called once every bridge is built and before any of them runs, with what each one is (ids,
   * sources, outputs, loops), so observers such as the status model and metrics exist before the
   * first event; with `keepRecent`, also the readings saved by the last run.
   */
  onBuilt?: (bridges: BridgeInfo[], restored: Reading[]) => void;
  /**
   * Keep each bridge's last 24 h of readings in its state folder and restore them at start, so the
   * status page starts warm (`forever`, which holds the folder's lock; not the Nightscout plugin).
   */
  keepRecent?: boolean;
  /** Outputs the process provides for a bridge besides its configured ones (the plugin's internal output). */
  provideOutputs?: (bridge: BridgeConfig) => Output[];
  /** Successful frames at debug level: inside Nightscout a line per poll is noise in the site's log. */
  quietSuccess?: boolean;
  /**
   * A person reads the log (a terminal): frame lines show the newest glucose in `unit`, and a
   * back-fill's progress goes to `progress` (a status line).
   */
  terminal?: { unit: 'mgdl' | 'mmol'; progress: (key: string, text: string | undefined) => void };
  /**
   * Serve the HTTP API (status cache, page, metrics): the hub binds it before it builds any bridge,
   * feeds it every event and stops it with the bridges.
   */
  http?: { config: HttpConfig; version: string; gitSha: string; units: Units } | undefined;
  /**
   * A bridge's state store; default: files in its folder under the state directory. A fleet's is
   * Redis, its writes fenced by `lease`: the bridge's own, or its follower account's for a person.
   */
  stateFor?: (bridge: BridgeConfig, log: Logger, lease: string) => StateStore;
  /**
   * Build every bridge but run none: a supervisor runs each with `startBridge` once it holds the
   * bridge's lease, and `stopBridge`s it when the lease is gone (app/fleet/). With `keepRecent`,
   * each bridge's saved readings are restored as it starts here, and its ring is let go when it stops.
   * A follower account is one lease: the process that holds it runs the account and its people.
   */
  deferStart?: boolean;
  /**
   * Time between a follower account's connections calls (who it follows); default the source's
   * poll interval. Tests shorten it to watch people come and go without waiting a minute.
   */
  followIntervalMs?: number;
  /** A fleet's budget around the process's own: the same numbers counted in Redis, for all processes (app/fleet/). */
  fleetBudget?: (local: RequestBudget) => RequestBudget;
  /** A fleet's: whether this process's lease on the bridge is still trusted; no output writes without it (FLEET007). */
  holds?: (bridge: string) => boolean;
}

interface PreparedBridge {
  bridge: BridgeConfig;
  outputs: Output[];
  driver: SourceDriver;
  notify: (event: BridgeEvent) => void;
  log: Logger;
  state: StateStore;
  /** The bridge log's `stop`: a status line left over from a fetch the drain cut off goes with it. */
  stopLog: () => void;
}

interface FollowedAccount {
  id: string;
  supervisor: FollowSupervisor;
  close(): void;
}

/** The page renderer loads on the first visit, not at start-up. */
async function renderStatusPageLazily(input: PageInput): Promise<string> {
  const { renderStatusPage } = await import('../outputs/http/page.js');
  return renderStatusPage(input);
}

/** What a built bridge is, for the status model and metrics. */
export function bridgeInfo(bridge: BridgeConfig, driver: SourceDriver, outputs: readonly Output[]): BridgeInfo {
  return {
    id: bridge.id,
    source: bridge.source.kind,
    outputs: outputs.map((o) => o.name),
    loops: driver.loops.map((l) => ({ name: l.name, expectedIntervalMs: l.expectedIntervalMs })),
  };
}

interface RunningBridge {
  id: string;
  actor: Actor<typeof pollerMachine>;
  outputs: Output[];
  stopLog: () => void;
}

/**
 * The composition root: builds each bridge (driver + outputs + poller), starts them, and stops
 * them in reverse order, letting in-flight writes finish.
 */
export class Hub {
  readonly #bridges: RunningBridge[] = [];
  readonly #accounts: FollowedAccount[] = [];
  readonly #deps: HubDeps;
  /** Bridges as configured, and the fleet's request budget: what `startBridge` builds from. */
  #configured = new Map<string, BridgeConfig>();
  /** A fleet's follower accounts, each started with its lease (`startBridge`). */
  #following = new Map<string, BridgeConfig>();
  #config: Config | undefined;
  #budget: RequestBudget | undefined;
  #recent: RecentReadings | undefined;
  #http: HttpActor | undefined;
  #crashed: ((err: unknown) => void) | undefined;
  readonly crashed: Promise<unknown>;

  constructor(deps: HubDeps) {
    this.#deps = deps;
    this.crashed = new Promise((resolve) => (this.#crashed = resolve));
  }

  /** Starts every bridge; throws (coded) before anything runs if one cannot start. */
  async start(config: Config): Promise<void> {
    ensureWritableDir(config.stateDir);
    // Bind first: a port clash (HTTP001, exit 2) must cost no vendor call and no write, however
    // often a supervisor restarts us. The status cache is filled once the bridges are built.
    this.#http = await this.#startHttp();
    try {
      await this.#build(config);
    } catch (err) {
      await this.#http?.stop();
      throw err;
    }
  }

  /** A fleet's lease supervisor's events, for `/metrics` (with `deferStart`). */
  observeFleet(event: FleetEvent): void {
    this.#http?.observeFleet(event);
  }

  /** `http://host:port` of the HTTP API once started; absent when it is off. */
  httpUrl(): string | undefined {
    return this.#http?.url();
  }

  async #startHttp(): Promise<HttpActor | undefined> {
    const settings = this.#deps.http;
    if (!settings?.config.enabled) return undefined;
    // The API's server and routes, and prom-client behind its metrics, load only when it is on.
    const [{ createHttpActor }, { createMetrics }] = await Promise.all([import('../outputs/http/index.js'), import('../outputs/http/metrics/index.js')]);
    const runsHere = this.#deps.deferStart ? { runsHere: (id: string) => this.#bridges.some((b) => b.id === id), fleet: true } : {};
    const http = createHttpActor({ ...settings, ...runsHere, log: this.#deps.log.child({ part: 'http' }), now: this.#now, renderPage: renderStatusPageLazily, createMetrics });
    await http.start();
    return http;
  }

  /**
   * Driver, outputs and log of one bridge, built but not started. `lease`: in a fleet, the bridge
   * whose lease covers this one (its own, or the follower account's for a person).
   */
  async #prepare(bridge: BridgeConfig, driverFor?: (ctx: DriverContext) => SourceDriver, lease = bridge.id): Promise<PreparedBridge> {
    const config = this.#config as Config;
    const { holds } = this.#deps;
    const ctx = this.#context(config, bridge, lease);
    const driver = driverFor ? driverFor(ctx) : await (this.#deps.createDriver ?? createDriver)(bridge.source, ctx);
    const { notify, stopLog } = this.#notifier(ctx.log);
    const outputs = await createOutputs(bridge, {
      now: this.#now,
      log: ctx.log,
      state: ctx.state,
      provided: this.#deps.provideOutputs?.(bridge) ?? [],
      ...(driver.lateArrivalMs === undefined ? {} : { lateArrivalMs: driver.lateArrivalMs }),
      onDelivery: (report) => notify({ type: 'output.delivery', bridgeId: bridge.id, report }),
      ...(holds ? { holds: () => holds(lease) } : {}),
    });
    return { bridge, outputs, driver, notify, log: ctx.log, state: ctx.state, stopLog };
  }

  #context(config: Config, bridge: BridgeConfig, lease: string): DriverContext {
    const { stateFor } = this.#deps;
    const gate = this.#budget?.forBridge(bridge.id, { ...gateOptions(config, bridge), lease });
    return driverContext(config, bridge, this.#deps.log, this.#now, gate, stateFor ? { stateFor: (log) => stateFor(bridge, log, lease) } : {});
  }

  /** Starts the outputs of the bridges given, or none: one that fails stops those already started. */
  async #startOutputs(prepared: readonly PreparedBridge[]): Promise<void> {
    const started: Output[] = [];
    try {
      for (const { outputs } of prepared) {
        for (const o of outputs) {
          await o.start();
          started.push(o);
        }
      }
    } catch (err) {
      await Promise.allSettled(started.map((o) => o.stop()));
      throw err;
    }
  }

  async #build(config: Config): Promise<void> {
    this.#config = config;
    // A bridge that follows several people is no bridge itself: its account starts one per person.
    this.#configured = new Map(config.bridges.filter((b) => !followsSeveral(b)).map((b) => [b.id, b]));
    // One budget and one stagger for the whole fleet: per vendor host, not per bridge.
    const local = createRequestBudget(config.vendorBudget, this.#now);
    this.#budget = this.#deps.fleetBudget?.(local) ?? local;
    // Accounts are built (their settings checked: LLU001, CL002, …) before anything starts.
    const following: FollowedAccount[] = [];
    for (const bridge of config.bridges.filter(followsSeveral)) following.push(await this.#follow(config, bridge));
    const prepared: PreparedBridge[] = [];
    for (const bridge of this.#configured.values()) prepared.push(await this.#prepare(bridge));
    if (this.#deps.deferStart) {
      // Built only to describe the bridges; each runs later on a fresh build whose driver reads the state its last owner left.
      const built = prepared.map((p) => bridgeInfo(p.bridge, p.driver, p.outputs));
      for (const p of prepared) p.stopLog();
      // Accounts too: built to check their settings, started only with their lease (startBridge).
      for (const account of following) account.close();
      this.#following = new Map(config.bridges.filter(followsSeveral).map((b) => [b.id, b]));
      this.#recent = this.#deps.keepRecent ? createRecentReadings([], this.#now) : undefined;
      this.#http?.build(built, []);
      this.#deps.onBuilt?.(built, []);
      return;
    }
    await this.#startOutputs(prepared);
    // The bridge's own state store: one store per folder, so its sweep of stale temp files never meets a write in flight.
    this.#recent = this.#deps.keepRecent ? createRecentReadings(prepared.map((p) => ({ id: p.bridge.id, source: p.bridge.source.kind, state: p.state, log: p.log })), this.#now) : undefined;
    const restored = (await this.#recent?.restore()) ?? [];
    const built = prepared.map((p) => bridgeInfo(p.bridge, p.driver, p.outputs));
    this.#http?.build(built, restored);
    this.#deps.onBuilt?.(built, restored);
    for (const p of prepared) this.#launch(p);
    for (const account of following) {
      this.#accounts.push(account);
      account.supervisor.start();
    }
  }

  /**
   * A follower account: one login shared by a bridge per followed person, each started (and
   * retired) by the account's supervisor as people appear in (and leave) its connections.
   */
  async #follow(config: Config, bridge: BridgeConfig): Promise<FollowedAccount> {
    // Its login (session, tokens) in the bridge's state: a fleet's next owner of the account finds it there.
    const ctx = this.#context(config, bridge, bridge.id);
    const followed = await followAccount(bridge, ctx);
    if (!followed) throw new Error(`bridge "${bridge.id}": source ${bridge.source.kind} cannot follow several people`);
    const { account, vendor, intervalMs } = followed;
    const supervisor = createFollowSupervisor({
      bridge,
      account,
      vendor,
      intervalMs: this.#deps.followIntervalMs ?? intervalMs,
      log: ctx.log,
      now: this.#now,
      launch: (personConfig, person) => this.#launchPerson(personConfig, person, account, bridge.id),
      retire: (id) => this.#retire(id),
    });
    return { id: bridge.id, supervisor, close: () => account.close() };
  }

  async #launchPerson(bridge: BridgeConfig, person: Person, account: Pick<PeopleAccount, 'driverFor'>, lease: string): Promise<void> {
    const prepared = await this.#prepare(bridge, (ctx) => account.driverFor(person, ctx), lease);
    try {
      await this.#startOutputs([prepared]);
    } catch (err) {
      prepared.stopLog();
      throw err;
    }
    const restored = (await this.#recent?.add?.({ id: bridge.id, source: bridge.source.kind, state: prepared.state, log: prepared.log })) ?? [];
    this.#http?.add(bridgeInfo(bridge, prepared.driver, prepared.outputs), restored);
    this.#launch(prepared);
  }

  /** Drains one bridge (a person no longer followed): in-flight writes finish, nothing is deleted. */
  async #retire(id: string): Promise<void> {
    await this.stopBridge(id);
    this.#http?.remove(id);
  }

  /** Runs one configured bridge (its outputs, then its poller); nothing if it runs already. Throws if an output cannot start. */
  async startBridge(id: string): Promise<void> {
    const account = this.#following.get(id);
    if (account) return this.#startAccount(account);
    const bridge = this.#configured.get(id);
    if (!bridge) throw new Error(`no bridge "${id}" is configured`);
    if (this.#bridges.some((b) => b.id === id)) return;
    const prepared = await this.#prepare(bridge);
    try {
      await this.#startOutputs([prepared]);
    } catch (err) {
      prepared.stopLog();
      throw err;
    }
    // Its last owner's readings (a fleet's state is shared): the status page here starts warm.
    const restored = (await this.#recent?.add?.({ id, source: bridge.source.kind, state: prepared.state, log: prepared.log })) ?? [];
    if (restored.length > 0) this.#http?.restore(restored);
    this.#launch(prepared);
  }

  /** A fleet's follower account, its lease just won: the account polls who it follows and starts a bridge per person. */
  async #startAccount(bridge: BridgeConfig): Promise<void> {
    if (this.#accounts.some((a) => a.id === bridge.id)) return;
    const account = await this.#follow(this.#config as Config, bridge);
    this.#accounts.push(account);
    account.supervisor.start();
  }

  /** A fleet's follower account, its lease gone: no more polls, and each person's bridge drained and let go. */
  async #stopAccount(account: FollowedAccount): Promise<void> {
    this.#accounts.splice(this.#accounts.indexOf(account), 1);
    account.close();
    // Its last poll finishes first: a person it launches meanwhile is let go with the others.
    await account.supervisor.stop();
    await Promise.all([...account.supervisor.running().values()].map((person) => this.#retire(person)));
  }

  /** Drains one bridge (in-flight writes finish) and stops its outputs; nothing if it is not running. */
  async stopBridge(id: string): Promise<void> {
    const account = this.#accounts.find((a) => a.id === id);
    if (account) return this.#stopAccount(account);
    const index = this.#bridges.findIndex((b) => b.id === id);
    if (index < 0) return;
    const [bridge] = this.#bridges.splice(index, 1);
    await this.#drain(bridge as RunningBridge);
    // Its ring goes: in a fleet another process may run it next and save readings this one never sees.
    await this.#recent?.drop?.(id);
  }

  /** The ids of the bridges running now. */
  runningBridges(): string[] {
    return this.#bridges.map((b) => b.id);
  }

  readonly #stagger: Stagger = createStagger();

  #now = (): number => (this.#deps.now ?? Date.now)();

  /** A bridge's events to its log lines and to the process's observers (status, metrics, capture). */
  #notifier(log: Logger): { notify: (event: BridgeEvent) => void; stopLog: () => void } {
    const terminal = this.#deps.terminal;
    const toLog = bridgeLogger(log, { quietSuccess: this.#deps.quietSuccess ?? false, now: this.#now, ...(terminal ? { terminal: { ...terminal, now: this.#now } } : {}) });
    const observe = this.#deps.observe;
    const notify = (event: BridgeEvent): void => {
      toLog(event);
      this.#recent?.observe(event);
      this.#http?.observe(event);
      observe?.(event);
    };
    return { notify, stopLog: toLog.stop };
  }

  #launch({ bridge, driver, outputs, notify, log, stopLog }: PreparedBridge): void {
    const actor = createActor(pollerMachine, {
      input: {
        bridgeId: bridge.id,
        driver,
        outputs,
        now: this.#now,
        // Only a source that calls a vendor has one to spare; the simulator has none.
        stagger: driver.baseUrl === undefined ? undefined : this.#stagger,
        notify,
      },
    });
    actor.subscribe({
      error: (err) => {
        log.fatal({ err }, `bridge stopped by an internal error: ${describeError(err)}`);
        this.#crashed?.(err);
      },
    });
    actor.start();
    this.#bridges.push({ id: bridge.id, actor, outputs, stopLog });
  }

  /**
   * Drains every bridge (in-flight writes finish), then stops the outputs; resolves within the drain
   * timeout. The HTTP API's grace runs alongside, so both together stay within the 5 s exit.
   */
  async stop(): Promise<void> {
    await Promise.all([this.#http?.stop(), this.#stopBridges()]);
  }

  async #stopBridges(): Promise<void> {
    // No person is started or retired once the stop began.
    const accounts = this.#accounts.splice(0);
    for (const a of accounts) a.close();
    await Promise.all(accounts.map((a) => a.supervisor.stop()));
    const bridges = this.#bridges.splice(0).reverse();
    await Promise.all(bridges.map((b) => this.#drain(b)));
    await this.#recent?.flush();
  }

  async #drain(b: RunningBridge): Promise<void> {
    b.actor.send({ type: 'STOP' });
    try {
      await waitFor(b.actor, (s) => s.status !== 'active', { timeout: DRAIN_TIMEOUT_MS });
    } catch {
      this.#deps.log.warn({ bridge: b.id }, 'drain did not finish in time; stopping anyway');
    }
    b.actor.stop();
    await Promise.all(b.outputs.map((o) => o.stop()));
    b.stopLog();
  }
}

import type { CommandModule } from 'yargs';
import { Hub } from '../app/hub.js';
import type { Fleet } from '../app/fleet/index.js';
import type { BridgeConfig, Config } from '../lib/config/schema.js';
import { isPrettyLog, type Logger } from '../lib/logger.js';
import { stderrStatusLine } from '../lib/terminal-status.js';
import { gitSha, packageVersion } from '../lib/version.js';
import type { RequestBudget } from '../lib/request-budget.js';
import { lockStateDir } from '../lib/state-lock.js';
import { ensureWritableDir } from '../lib/state-store.js';
import { cliSettings, EXIT, load, loggerFor, withGlobalOptions, type GlobalArgs } from './common.js';

interface ForeverArgs extends GlobalArgs {
  'data-dir'?: string | undefined;
  'simulator-interval'?: number | undefined;
  http?: string | undefined;
  shard?: string | undefined;
}

function announce(config: Config, log: Logger, httpUrl: string | undefined): void {
  if (httpUrl !== undefined) log.info(`HTTP API on ${httpUrl} (status page, /glucose/latest, /metrics)`);
  for (const bridge of config.bridges) {
    const outputs = [bridge.filesystem && `files in ${bridge.filesystem.dir}`, bridge.nightscout && 'Nightscout', bridge.mqtt && 'MQTT', httpUrl && `the HTTP API at ${httpUrl}`]
      .filter(Boolean)
      .join(', ');
    if (bridge.source.kind === 'simulator') {
      log.info(
        `bridge "${bridge.id}": running the built-in simulator (simulated glucose, not a real person's) every ${bridge.source.intervalSeconds}s into ${outputs}. ` +
          'To bridge a real account set CONNECT_SOURCE and its credentials (e.g. CONNECT_SOURCE=linkup CONNECT_LINK_UP_USERNAME=… CONNECT_LINK_UP_PASSWORD=…); see docs/sources/',
      );
    } else {
      log.info(`bridge "${bridge.id}": ${bridge.source.kind} into ${outputs}`);
    }
  }
}

interface StopSignals {
  /** The first SIGINT/SIGTERM, whenever it came. */
  readonly first: Promise<NodeJS.Signals>;
}

/**
 * Takes SIGINT and SIGTERM over from Node before anything starts: without a listener the default
 * action kills the process at once, even in the middle of launching the bridges right after the
 * banner, and a supervisor's stop would then skip the drain. A second signal exits without waiting.
 */
function catchStopSignals(log: Logger): StopSignals {
  let received: NodeJS.Signals | undefined;
  let resolveFirst: (signal: NodeJS.Signals) => void = () => undefined;
  const first = new Promise<NodeJS.Signals>((resolve) => (resolveFirst = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(EXIT.failure);
    }
    received = signal;
    log.info({ signal }, 'stopping: finishing in-flight writes');
    resolveFirst(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { first };
}

/** Resolves with the exit code once the hub has stopped (signal) or crashed. */
async function runUntilStopped(hub: Hub, log: Logger, signals: StopSignals, fleet: Fleet | undefined): Promise<number> {
  const why = await Promise.race([signals.first.then(() => 'signal' as const), hub.crashed.then(() => 'crash' as const)]);
  // No lease is taken while the bridges drain; theirs are given back once they have stopped, not before.
  await fleet?.stop();
  await hub.stop();
  await fleet?.close();
  if (why === 'crash') return EXIT.failure;
  log.info('stopped');
  return EXIT.ok;
}

export const foreverCommand: CommandModule<object, ForeverArgs> = {
  command: 'forever',
  describe: 'Run the bridge(s) until stopped (Ctrl-C / SIGTERM drains and exits)',
  builder: (y) =>
    withGlobalOptions(y)
      .option('data-dir', { type: 'string', describe: 'Directory for the filesystem output (default ./gluco-hub-data/<bridge>)' })
      .option('simulator-interval', { type: 'number', describe: 'Seconds between simulated readings (CONNECT_SIMULATOR_INTERVAL)' })
      .option('http', { type: 'string', describe: 'host:port for the HTTP API (GLUCO_HUB__HTTP__BIND, default 127.0.0.1:8080)' })
      .option('shard', { type: 'string', describe: 'In a fleet: this process is shard i of N (i/N, from 0), and runs the bridges the hash gives it first (GLUCO_HUB__FLEET__SHARD)' })
      .example('$0 forever', 'Nothing configured: simulated readings into ./gluco-hub-data/simulator')
      .example('CONNECT_SIMULATOR_INTERVAL=5 $0 forever', 'A fast demo: one simulated reading every 5 s')
      .example('CONNECT_SOURCE=linkup CONNECT_LINK_UP_USERNAME=me@example.com CONNECT_LINK_UP_PASSWORD_FILE=/run/secrets/llu $0 forever', 'A real LibreLink Up follower account')
      .example('$0 forever --config bridges.yaml', 'Several bridges in one process')
      .example('$0 forever --http 0.0.0.0:8080', 'Serve the HTTP API to the network (set GLUCO_HUB__HTTP__BEARER_TOKEN too)')
      .example('GLUCO_HUB__STATE__URL=redis://redis:6379 $0 forever --config fleet.yaml --shard 1/3', 'The second of three processes sharing the bridges of fleet.yaml (docs/fleet.md)'),
  handler: async (args) => {
    const config = load(cliSettings(args, { filesystemDir: args['data-dir'], simulatorInterval: args['simulator-interval'], httpBind: args.http, shard: args.shard }));
    const log = loggerFor(config);
    ensureWritableDir(config.stateDir);
    // With state in Redis, leases keep two processes off one bridge, and the state folder holds no state to fight over.
    const fleet = config.state.url === undefined ? undefined : await (await import('../app/fleet/index.js')).createFleet(config, log);
    // Before anything calls a vendor: a second process on the same folder would fight this one for its sessions.
    const lock = fleet ? undefined : lockStateDir(config.stateDir, 'forever');
    const signals = catchStopSignals(log);
    const hub = new Hub({
      log,
      // Each bridge's last 24 h in its state: the folder's (under its lock), or a fleet's Redis, where
      // a bridge's next owner restores what its last one saved (writes fenced like all its state).
      keepRecent: true,
      ...(fleet ? { deferStart: true, stateFor: (bridge: BridgeConfig, bridgeLog: Logger, lease: string) => fleet.stateFor(bridge, bridgeLog, lease), fleetBudget: (local: RequestBudget) => fleet.budget(local), holds: (bridge: string) => fleet.holds(bridge) } : {}),
      // A person at a terminal sees each frame's newest glucose and a back-fill's progress; machine logs carry no glucose.
      ...(isPrettyLog(config.log.format) ? { terminal: { unit: config.unit, progress: (key: string, text: string | undefined) => stderrStatusLine().show(key, text) } } : {}),
      http: { config: config.http, version: packageVersion(), gitSha: gitSha(), units: config.http.unit === 'mmol' ? 'mmol/L' : 'mg/dL' },
      // The banner goes out once the bridges are built and before any runs: logged after start()
      // resolved, it raced the back-fill frame, whose lines could come first.
      onBuilt: () => announce(config, log, hub.httpUrl()),
    });
    try {
      await hub.start(config);
    } catch (error) {
      // A start-up error (a port in use, an output refused) ends the command: the fleet's Redis
      // connections would otherwise keep the process alive after the coded error was printed.
      await fleet?.close();
      lock?.release();
      throw error;
    }
    fleet?.supervise({ start: (id) => hub.startBridge(id), stop: (id) => hub.stopBridge(id) }, (event) => hub.observeFleet(event));
    process.exitCode = await runUntilStopped(hub, log, signals, fleet);
    lock?.release();
  },
};

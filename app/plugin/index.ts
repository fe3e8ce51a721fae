import { createInternalOutput, type InternalOutput } from '../../outputs/internal/index.js';
import { internalError } from '../../outputs/internal/errors.js';
import { createDriverNow } from '../../sources/eager.js';
import type { SourceDriver } from '../../lib/contracts/source.js';
import { loadConfig } from '../../lib/config/load.js';
import type { Config } from '../../lib/config/schema.js';
import { driverContext } from '../driver-context.js';
import { describeError, GlucoHubError } from '../../lib/errors.js';
import { Hub } from '../hub.js';
import { createLogger, type Logger } from '../../lib/logger.js';
import { ensureWritableDir } from '../../lib/state-store.js';
import type { BootError, NightscoutCtx, NightscoutEnv } from '../../lib/nightscout/plugin-ctx.js';
import { APP_NAME } from '../../lib/version.js';
import { pluginEnv, requestedSource } from './settings.js';

/**
 * gluco-hub as a Nightscout plugin, in place of nightscout-connect:
 * `require('nightscout-connect')(env, ctx)`. Everything that can be wrong with the settings is
 * found before this returns and goes to `ctx.bootErrors`; fetching starts with the site's first
 * data load and stops on `teardown`.
 */

export interface PluginHandle {
  /** Starts the bridge now (it also starts by itself after the site's first data load). */
  run(): Promise<void>;
  /** Stops the bridge: in-flight writes finish, listeners are removed. */
  stop(): Promise<void>;
}

const DESC = 'gluco-hub (CONNECT_* settings)';

/** The plugins that poll the same vendor beside us when still enabled (Nightscout ≤ 15.0.8). */
const LEGACY_PLUGIN: Record<string, string> = { dexcomshare: 'bridge', minimedcarelink: 'mmconnect' };

function bootErrorsOf(err: unknown): BootError[] {
  if (err instanceof GlucoHubError) {
    const lines = err.message.split('\n').map((line, i) => (i === 0 || /^\[[A-Z]+\d+\]/.test(line) ? line : `[${err.code}] ${line}`));
    return lines.map((line, i) => ({ desc: DESC, err: i === lines.length - 1 && err.hint ? `${line} — ${err.hint}` : line }));
  }
  return [{ desc: DESC, err: `gluco-hub could not start: ${describeError(err)}` }];
}

function missingPart(ctx: NightscoutCtx | undefined): string | undefined {
  if (!ctx?.bus || typeof ctx.bus.on !== 'function') return 'event bus (ctx.bus)';
  for (const name of ['entries', 'treatments', 'devicestatus'] as const) {
    if (typeof ctx[name]?.create !== 'function') return `${name} storage (ctx.${name}.create)`;
  }
  return undefined;
}

interface Prepared {
  config: Config;
  driver: SourceDriver;
  log: Logger;
}

/** Reads and checks everything synchronously; throws a coded error for the boot-error page. */
function prepare(env: NightscoutEnv, ctx: NightscoutCtx): Prepared {
  const missing = missingPart(ctx);
  if (missing) throw internalError('NSI002', { params: { what: missing } });
  const config = loadConfig({ env: pluginEnv(env, process.env), cwd: process.cwd(), embedded: true });
  const log = createLogger({ level: config.log.level, format: config.log.format }).child({ plugin: APP_NAME });
  ensureWritableDir(config.stateDir);
  const bridge = config.bridges[0]!;
  const driver = createDriverNow(bridge.source, driverContext(config, bridge, log));
  return { config, driver, log };
}

export function nightscoutConnect(env: NightscoutEnv, ctx: NightscoutCtx): PluginHandle | undefined {
  if (requestedSource(env ?? {}) === undefined) {
    // Nightscout calls every connect plugin on every boot; a site that does not use it hears nothing.
    return undefined;
  }
  let prepared: Prepared;
  try {
    prepared = prepare(env, ctx);
  } catch (err) {
    const errors = bootErrorsOf(err);
    if (Array.isArray(ctx?.bootErrors)) ctx.bootErrors.push(...errors);
    else for (const e of errors) process.stderr.write(`${e.desc}: ${e.err}\n`);
    return undefined;
  }
  return startPlugin(env, ctx, prepared);
}

function startPlugin(env: NightscoutEnv, ctx: NightscoutCtx, { config, driver, log }: Prepared): PluginHandle {
  const bridge = config.bridges[0]!;
  const internal: InternalOutput = createInternalOutput(ctx, { now: Date.now, log: log.child({ output: 'internal' }) });
  const hub = new Hub({ log, createDriver: () => Promise.resolve(driver), provideOutputs: () => [internal], quietSuccess: true });
  const legacy = LEGACY_PLUGIN[bridge.source.kind];
  if (legacy && env.enable?.includes(legacy)) {
    log.warn(`ENABLE also names "${legacy}", which polls the same account: remove it from ENABLE so only gluco-hub does`);
  }

  let running: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  const onData = (sandbox: unknown): void => internal.see(sandbox);
  const onFirstData = (): void => void handle.run();
  const onTeardown = (): void => void handle.stop();

  const handle: PluginHandle = {
    run() {
      if (stopping) return stopping;
      running ??= hub.start(config).then(
        () => {
          const extra = (['nightscout', 'filesystem', 'mqtt'] as const).filter((k) => bridge[k] !== undefined);
          log.info(`gluco-hub ${bridge.source.kind} → this Nightscout${extra.length > 0 ? ` + ${extra.join(', ')}` : ''}: running`);
          void hub.crashed.then((err) => log.fatal({ err }, 'gluco-hub stopped by an internal error; the site keeps running'));
        },
        (err: unknown) => {
          log.error({ err }, `gluco-hub could not start: ${describeError(err)}`);
        },
      );
      return running;
    },
    stop() {
      ctx.bus.removeListener('data-processed', onData);
      ctx.bus.removeListener('data-processed', onFirstData);
      ctx.bus.removeListener('teardown', onTeardown);
      ctx.bus.removeListener('tearDown', onTeardown);
      stopping ??= (running ?? Promise.resolve()).then(() => hub.stop()).then(() => log.info('gluco-hub stopped'));
      return stopping;
    },
  };

  ctx.bus.on('data-processed', onData);
  ctx.bus.once('data-processed', onFirstData);
  // Nightscout emits `teardown`; nightscout-connect listened for `tearDown` and so never stopped.
  ctx.bus.once('teardown', onTeardown);
  ctx.bus.once('tearDown', onTeardown);
  return handle;
}

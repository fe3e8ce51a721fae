import type { Argv } from 'yargs';
import { loadConfig, type CliSettings } from '../lib/config/load.js';
import type { Config } from '../lib/config/schema.js';
import { ConfigError, GlucoHubError, StorageError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';

/** Exit codes: 0 done, 1 runtime failure, 2 the user's configuration or environment is wrong. */
export const EXIT = { ok: 0, failure: 1, config: 2 } as const;

export interface GlobalArgs {
  config?: string | undefined;
  source?: string | undefined;
  'log-level'?: string | undefined;
  'log-format'?: string | undefined;
  'state-dir'?: string | undefined;
}

/** Options every command takes; each mirrors a setting, so flags win over env and file. */
export function withGlobalOptions<T>(y: Argv<T>): Argv<T & GlobalArgs> {
  return y
    .option('config', { type: 'string', describe: 'YAML or JSON config file (may define several bridges)' })
    .option('source', { type: 'string', describe: 'Source to read from (CONNECT_SOURCE): simulator, linkup, dexcomshare, nightscout, glooko, minimedcarelink' })
    .option('log-level', { type: 'string', describe: 'fatal, error, warn, info, debug, trace or silent' })
    .option('log-format', { type: 'string', choices: ['auto', 'json', 'pretty'], describe: 'auto: pretty on a terminal, JSON otherwise' })
    .option('state-dir', { type: 'string', describe: 'Where vendor sessions and lockouts are kept between runs (GLUCO_HUB__STATE_DIR)' });
}

export function cliSettings(args: GlobalArgs, extra: Partial<CliSettings> = {}): CliSettings {
  return {
    config: args.config,
    source: args.source,
    logLevel: args['log-level'],
    logFormat: args['log-format'],
    stateDir: args['state-dir'],
    ...extra,
  };
}

export function load(settings: CliSettings): Config {
  return loadConfig({ env: process.env, cli: settings, cwd: process.cwd() });
}

export function loggerFor(config: Config): Logger {
  return createLogger({ level: config.log.level, format: config.log.format });
}

/** Writes a line for the person at the terminal (not a log line). */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Turns an error into an exit code and one readable line. The user's own mistakes (coded errors)
 * never print a stack; an unexpected error does, because it is a bug to report.
 */
export function reportFailure(err: unknown): number {
  if (err instanceof GlucoHubError) {
    process.stderr.write(`${err.toUserLine()}\n`);
    return err instanceof ConfigError || err instanceof StorageError ? EXIT.config : EXIT.failure;
  }
  process.stderr.write(`gluco-hub: unexpected error — please report it:\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.failure;
}

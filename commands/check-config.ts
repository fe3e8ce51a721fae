import type { CommandModule } from 'yargs';
import { createOutputs } from '../outputs/registry.js';
import { createDriver } from '../sources/registry.js';
import { driverContext } from '../app/driver-context.js';
import { printableConfig } from '../lib/config/printable.js';
import { cliSettings, EXIT, load, loggerFor, say, withGlobalOptions, type GlobalArgs } from './common.js';

/** Prints the effective configuration, secrets masked; fails with coded errors when it cannot run. */
export const checkConfigCommand: CommandModule<object, GlobalArgs> = {
  command: 'check-config',
  describe: 'Print the effective configuration (secrets masked) and check it',
  builder: (y) =>
    withGlobalOptions(y)
      .example('$0 check-config', 'Show what the environment configures')
      .example('CONNECT_SOURCE=linkup $0 check-config', 'See which LibreLink Up settings are missing')
      .example('$0 check-config --config bridges.yaml', 'Check a multi-bridge config file'),
  handler: async (args) => {
    const config = load(cliSettings(args));
    const log = loggerFor(config);
    for (const bridge of config.bridges) {
      // Builds each driver without any I/O, so a source this version lacks is reported here.
      await createDriver(bridge.source, driverContext(config, bridge, log));
      await createOutputs(bridge, { now: Date.now, log });
    }
    say(JSON.stringify(printableConfig(config), null, 2));
    process.exitCode = EXIT.ok;
  },
};

import type { CommandModule } from 'yargs';
import { createOutputs } from '../outputs/registry.js';
import { createDriver } from '../sources/registry.js';
import { cliSettings, EXIT, load, say, withGlobalOptions, type GlobalArgs } from './common.js';

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
    for (const bridge of config.bridges) {
      await createDriver(bridge.source, { now: Date.now });
      await createOutputs(bridge);
    }
    say(JSON.stringify(config, null, 2));
    process.exitCode = EXIT.ok;
  },
};

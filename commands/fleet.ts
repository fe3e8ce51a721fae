import type { CommandModule } from 'yargs';
import { withGlobalOptions } from './common.js';
import type { FleetArgs } from './fleet-run.js';

/** Only the options: Redis and the status table load when the command runs. */
export const fleetCommand: CommandModule<object, FleetArgs> = {
  command: 'fleet <action>',
  describe: 'A fleet (state in Redis): which process holds which bridge, how long its lease has left, and the bridges nobody runs',
  builder: (y) =>
    withGlobalOptions(y)
      .positional('action', { choices: ['status'] as const, describe: 'status: who holds what, read from Redis (changes nothing)', demandOption: true })
      .option('json', { type: 'boolean', describe: 'Everything as JSON, for scripts and monitoring' })
      .example('GLUCO_HUB__STATE__URL=redis://redis:6379/0 $0 fleet status --config bridges.yaml', 'Who runs each bridge of the config, lease times and epochs, and a summary per process')
      .example('$0 fleet status --json', 'The same as JSON'),
  handler: async (args) => (await import('./fleet-run.js')).runFleet(args),
};

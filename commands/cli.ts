import yargs from 'yargs';
import { captureCommand } from './capture.js';
import { checkConfigCommand } from './check-config.js';
import { dlqCommand } from './dlq.js';
import { exportCommand } from './export.js';
import { fleetCommand } from './fleet.js';
import { EXIT, reportFailure } from './common.js';
import { foreverCommand } from './forever.js';
import { loginCommand } from './login.js';
import { reportCommand } from './report.js';
import { usageMessage, UsageError } from './usage.js';
import { APP_NAME } from '../lib/version.js';

/** Runs the CLI and resolves with the exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  // The options of the command being parsed, for a "Did you mean --http?" on a mistyped one.
  let knownOptions: string[] = [];
  const cli = yargs(argv)
    .scriptName(APP_NAME)
    .usage('$0 <command> [options]\n\nBridges CGM glucose, treatments and pump status from vendor clouds to Nightscout, MQTT and files.')
    .command(foreverCommand)
    .command(captureCommand)
    .command(checkConfigCommand)
    .command(loginCommand)
    .command(dlqCommand)
    .command(exportCommand)
    .command(reportCommand)
    .command(fleetCommand)
    .demandCommand(1, 'Name a command: forever, capture, check-config, login, dlq, export, report or fleet')
    .strict()
    .strictCommands()
    .recommendCommands()
    .middleware((_args, y?: { getOptions: () => { key: Record<string, unknown> } }) => {
      knownOptions = Object.keys(y?.getOptions().key ?? {});
    }, true)
    .example('$0 forever', 'Run until stopped (simulator into ./gluco-hub-data when nothing is configured)')
    .example('$0 capture --json', 'One fetch, shown as JSON')
    .example('$0 check-config', 'Print the effective configuration with secrets masked')
    .example('$0 login carelink', 'Log in to Medtronic CareLink once (the bridge refreshes the login from then on)')
    .example('$0 dlq list', "What waits in the outputs' queues and what they set aside")
    .example('$0 export --from 2026-11-01 > november.csv', 'The archived readings as CSV for a spreadsheet')
    .example('$0 report --days 14', 'Time in range, mean, GMI, CV, lows and highs of the last 14 days')
    .example('$0 fleet status', 'In a fleet (state in Redis): which process holds which bridge')
    .epilogue('Configuration: environment variables (nightscout-connect\'s CONNECT_* names or GLUCO_HUB__SECTION__KEY), a --config file, and flags. See docs/configuration.md; every page is under docs/.')
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      if (err) throw err;
      // yargs validates before it runs a handler, but goes on to run it unless this throws.
      throw new UsageError(usageMessage(msg, argv, knownOptions));
    });
  try {
    await cli.parseAsync();
  } catch (err) {
    return reportFailure(err);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
}

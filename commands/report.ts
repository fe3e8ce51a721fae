import type { CommandModule } from 'yargs';
import { withGlobalOptions } from './common.js';
import type { ReportArgs } from './report-run.js';

/** Only the options: the numbers (report-run.ts) and the chart load when the command runs. */
export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report',
  describe: 'Time in range, mean, GMI, CV and lows/highs of the last days, from the filesystem output (the numbers an AGP report opens with)',
  builder: (y) =>
    withGlobalOptions(y)
      .option('days', { type: 'number', default: 14, describe: 'The span: this many days back from now (whole days, 1–366)' })
      .option('bridge', { type: 'string', describe: 'The bridge whose archive to read (default: the only one)' })
      .option('json', { type: 'boolean', describe: 'The numbers as JSON, mg/dL and mmol/L both' })
      .option('chart', { type: 'boolean', describe: 'Draw the readings under the numbers (default: on a terminal; --no-chart to leave it out)' })
      .option('data-dir', { type: 'string', describe: 'The filesystem output folder to read, as given to forever (default ./gluco-hub-data/<bridge>)' })
      .example('$0 report', 'The last 14 days, in GLUCO_HUB__UNIT, with a chart on a terminal')
      .example('$0 report --days 90 --json', 'The last 90 days as JSON'),
  handler: async (args) => {
    const { runReport } = await import('./report-run.js');
    await runReport(args);
  },
};

import type { CommandModule } from 'yargs';
import { withGlobalOptions } from './common.js';
import type { ExportFormat } from './export-format.js';
import type { ExportArgs } from './export-run.js';

const EXPORT_FORMATS = ['csv', 'json', 'ndjson'] as const satisfies readonly ExportFormat[];

/** Only the options: reading the archive (export-run.ts) loads when the command runs. */
export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: "Write the filesystem output's glucose readings as CSV, JSON or NDJSON (history the vendor no longer keeps)",
  builder: (y) =>
    withGlobalOptions(y)
      .option('bridge', { type: 'string', describe: 'The bridge whose archive to read (default: the only one)' })
      .option('from', { type: 'string', describe: 'First moment, inclusive: ISO date (local midnight) or date-time (local, or with Z / an offset); default 14 days before --to' })
      .option('to', { type: 'string', describe: 'Last moment, inclusive (a date alone: through the end of that day); default now' })
      .option('format', { choices: EXPORT_FORMATS, default: 'csv' as const, describe: 'csv (RFC 4180, with a header), json (one array) or ndjson (one object per line)' })
      .option('out', { type: 'string', describe: 'Write to this file (created 0600) instead of stdout' })
      .option('data-dir', { type: 'string', describe: 'The filesystem output folder to read, as given to forever (default ./gluco-hub-data/<bridge>)' })
      .example('$0 export > last-14-days.csv', 'The last 14 days as CSV: local time, UTC, mg/dL, mmol/L, trend, device')
      .example('$0 export --from 2026-11-01 --to 2026-11-30 --format json --out november.json', 'November (local days, both ends included) as JSON')
      .example('$0 export --bridge kid --from 2026-12-01T06:00 --format ndjson | head', 'One bridge of several, one reading per line'),
  handler: async (args) => {
    const { runExport } = await import('./export-run.js');
    await runExport(args);
  },
};

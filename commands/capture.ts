import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { captureBridge, type Capture } from '../app/capture.js';
import { followsSeveral } from '../app/follow-account.js';
import { accountOfPerson } from '../app/followed-people.js';
import type { BridgeConfig } from '../lib/config/schema.js';
import { ConfigError, StorageError } from '../lib/errors.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../lib/file-mode.js';
import type { ShownUnit } from '../lib/glucose-text.js';
import { cliSettings, EXIT, load, loggerFor, say, withGlobalOptions, type GlobalArgs } from './common.js';

interface CaptureArgs extends GlobalArgs {
  json?: boolean | undefined;
  out?: string | undefined;
  persist?: boolean | undefined;
  bridge?: string | undefined;
  units?: ShownUnit | undefined;
  chart?: boolean | undefined;
}

/** `<dir>/<bridge>/<loop>.raw.json` (the vendor's answer) and `<loop>.documents.json` (what it became). */
async function saveCapture(dir: string, captures: Capture[]): Promise<string> {
  const base = resolve(dir);
  try {
    for (const c of captures) {
      const bridgeDir = join(base, c.bridge);
      // A vendor's answer is health data (and may name the followed person): the owner's alone.
      await mkdir(bridgeDir, { recursive: true, mode: PRIVATE_DIR_MODE });
      for (const loop of c.loops) {
        for (const [name, value] of [[`${loop.loop}.raw.json`, loop.raw], [`${loop.loop}.documents.json`, loop.batch]] as const) {
          const file = join(bridgeDir, name);
          await writeFile(file, `${JSON.stringify(value ?? null, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
          // An earlier capture's file keeps its mode through a rewrite: set it.
          await chmod(file, PRIVATE_FILE_MODE);
        }
      }
    }
  } catch (cause) {
    throw new StorageError('FS004', `cannot write the capture under ${base}`, { cause, hint: 'pass --out a writable directory' });
  }
  return base;
}

/** The configured bridge `--bridge` names, or the follower account whose person it names (`<account>-<slug>`); all without it. */
function chosen(bridges: readonly BridgeConfig[], wanted: string | undefined): BridgeConfig[] {
  if (wanted === undefined) return [...bridges];
  const exact = bridges.filter((b) => b.id === wanted);
  if (exact.length > 0) return exact;
  const account = accountOfPerson(bridges.filter(followsSeveral), wanted);
  if (account) return [account];
  throw new ConfigError('CAP001', `no bridge "${wanted}"; configured: ${bridges.map((b) => b.id).join(', ')}`, {
    hint: "pass --bridge with one of them, a followed person's bridge id (<bridge>-<slug>, as `forever` logs it), or leave it out for all",
  });
}

export const captureCommand: CommandModule<object, CaptureArgs> = {
  command: 'capture',
  describe: 'Fetch once from the configured source and show what it returned and what it became',
  builder: (y) =>
    withGlobalOptions(y)
      .option('json', { type: 'boolean', describe: 'Print everything as JSON (raw vendor answer and documents)' })
      .option('out', { type: 'string', describe: 'Also save the capture under this directory' })
      .option('persist', { type: 'boolean', default: false, describe: 'Write the documents to the configured outputs' })
      .option('bridge', { type: 'string', describe: "The bridge to capture, or one person's bridge of a follower account (<bridge>-<slug>) (default: all)" })
      .option('units', { type: 'string', choices: ['mgdl', 'mmol', 'both'] as const, describe: 'Glucose in mg/dL, mmol/L or both (default: GLUCO_HUB__UNIT)' })
      .option('chart', { type: 'boolean', describe: 'Draw the readings above the table (default: on a terminal; --no-chart to leave it out)' })
      .example('$0 capture', 'One fetch from the configured source, shown on the terminal')
      .example('$0 capture --json > capture.json', 'Everything as JSON')
      .example('$0 capture --out ./captures', 'Save the vendor answer and the documents for a bug report')
      .example('$0 capture --persist', 'Also write to the configured outputs')
      .example('$0 capture --units both --chart > day.txt', 'mg/dL and mmol/L, with the chart, into a file'),
  handler: async (args) => {
    const config = load(cliSettings(args));
    const log = loggerFor(config);
    const bridges = chosen(config.bridges, args.bridge);
    const captures: Capture[] = [];
    for (const bridge of bridges) {
      // A person's bridge id names their account's bridge: capture that account, for this person only.
      const only = args.bridge !== undefined && args.bridge !== bridge.id ? args.bridge : undefined;
      captures.push(...(await captureBridge(config, bridge, { log, persist: args.persist === true, only })));
    }
    if (args.out !== undefined) {
      const where = await saveCapture(args.out, captures);
      log.info(`capture saved under ${where}`);
    }
    const tty = process.stdout.isTTY === true;
    const print = { unit: args.units ?? config.unit, chart: (args.chart ?? tty) ? { width: process.stdout.columns || 80, color: tty } : undefined };
    if (args.json) {
      say(JSON.stringify(captures, null, 2));
    } else {
      // The readable form (and its chart library) loads only here: every other command skips it.
      const { formatCapture } = await import('./capture-print.js');
      say(captures.map((c) => formatCapture(c, print)).join('\n\n'));
    }
    const failed = captures.some((c) => c.loops.some((l) => l.result?.outcome === 'failed'));
    process.exitCode = failed ? EXIT.failure : EXIT.ok;
  },
};

import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { readdirSync } from 'node:fs';
import { followedPatients, type BridgeConfig, type Config } from '../lib/config/schema.js';
import { personBridgeIdsIn } from '../app/followed-people.js';
import { commandState } from '../app/fleet/command-state.js';
import { ConfigError, StorageError } from '../lib/errors.js';
import { lockStateDir } from '../lib/state-lock.js';
import { createStateStore } from '../lib/state-store.js';
import { drop, outputsIn, readOutputFiles, retry, type OutputFiles, type Pick } from '../outputs/reliable/admin.js';
import { cliSettings, EXIT, load, loggerFor, say, withGlobalOptions, type GlobalArgs } from './common.js';

/**
 * `gluco-hub dlq list|retry|drop`: what waits in each output's dead-letter queue and what was set
 * aside in its rejected file, and a person's decision about them. Changes take the state folder's
 * lock, so they never race a running bridge (which keeps its queue in memory).
 */

const ACTIONS = ['list', 'retry', 'drop'] as const;

/** The configured outputs that keep a queue, by the name their state keys carry. */
const OUTPUT_NAMES = ['nightscout', 'mqtt', 'filesystem'] as const;

interface DlqArgs extends GlobalArgs {
  action: (typeof ACTIONS)[number];
  bridge?: string | undefined;
  output?: string | undefined;
  id?: string[] | undefined;
  all?: boolean | undefined;
  from?: 'rejected' | 'queue' | undefined;
  json?: boolean | undefined;
}

/** Folders in the state folder; none when it does not exist yet. */
function foldersIn(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * Configured bridges, and the person bridges of those that follow several people (`<bridge>-<slug>`,
 * found by their state folders: a fleet never has them, its config refuses following several people).
 */
function bridgesOf(config: Config, wanted: string | undefined): { id: string; config?: BridgeConfig }[] {
  const configured = config.bridges.map((b) => ({ id: b.id, config: b }));
  const accounts = config.bridges.filter((b) => followedPatients(b.source) !== undefined).map((b) => b.id);
  const people = personBridgeIdsIn(accounts.length > 0 ? foldersIn(config.stateDir) : [], accounts, config.bridges.map((b) => b.id)).map((id) => ({ id }));
  const all = [...configured, ...people];
  if (wanted === undefined) return all;
  const found = all.filter((b) => b.id === wanted);
  if (found.length === 0) {
    throw new ConfigError('DLQ010', `no bridge "${wanted}"; configured: ${all.map((b) => b.id).join(', ')}`, { hint: 'pass --bridge with one of them, or leave it out for all' });
  }
  return found;
}

function pickOf(args: DlqArgs): Pick {
  if (args.all) return { all: true };
  if (args.id && args.id.length > 0) return { ids: args.id };
  throw new ConfigError('DLQ011', `dlq ${args.action} needs --id IDENTIFIER (repeatable) or --all`, { hint: 'see the identifiers with `gluco-hub dlq list`' });
}

const iso = (ms: number): string => new Date(ms).toISOString();
const idOf = (doc: { identifier?: unknown; date: number }): string => (typeof doc.identifier === 'string' ? doc.identifier : String(doc.date));

function describeFiles(bridge: string, files: OutputFiles): string[] {
  const failed = files.queue.filter((i) => i.attempts > 0);
  const dates = files.queue.map((i) => i.document.date);
  const lines = [`${bridge}/${files.output}: ${files.queue.length} waiting in the queue, ${files.rejected.length} set aside`];
  if (dates.length > 0) lines.push(`  queue     ${iso(Math.min(...dates))} … ${iso(Math.max(...dates))}`);
  for (const item of failed) {
    const next = item.retryAtMs === undefined ? '' : `, next try ${iso(item.retryAtMs)}`;
    lines.push(`  failing   ${item.collection.padEnd(12)} ${iso(item.document.date)}  id ${idOf(item.document)}  ${item.attempts}× (last: ${item.lastError ?? 'unknown'})${next}`);
  }
  for (const line of files.rejected) {
    lines.push(`  rejected  ${line.collection.padEnd(12)} ${iso(line.document.date)}  id ${idOf(line.document)}  ${line.code}  ${line.reason}  (${line.rejectedAt})`);
  }
  return lines;
}

export const dlqCommand: CommandModule<object, DlqArgs> = {
  command: 'dlq <action>',
  describe: "See and act on what waits in the outputs' dead-letter queues and what they set aside",
  builder: (y) =>
    withGlobalOptions(y)
      .positional('action', { choices: ACTIONS, describe: 'list: show; retry: send set-aside (and failing) documents again; drop: remove them for good', demandOption: true })
      .option('bridge', { type: 'string', describe: 'Only this bridge (default: every configured bridge)' })
      .option('output', { type: 'string', describe: 'Only this output: nightscout, mqtt, filesystem, internal' })
      .option('id', { type: 'string', array: true, describe: 'A document identifier from `dlq list` (repeatable)' })
      .option('all', { type: 'boolean', describe: 'Every document (retry, drop)' })
      .option('from', { choices: ['rejected', 'queue'] as const, default: 'rejected' as const, describe: 'drop: from the rejected file (default) or from the queue' })
      .option('json', { type: 'boolean', describe: 'list: everything as JSON, queue included' })
      .example('$0 dlq list', 'What waits and what was set aside, per bridge and output')
      .example('$0 dlq retry --all --output nightscout', 'Send every set-aside document to Nightscout again at the next start')
      .example('$0 dlq drop --id 5b0f7124-475f-5db0-824c-a73c5eea0975', 'Forget one set-aside document'),
  handler: async (args) => {
    const config = load(cliSettings(args));
    const log = loggerFor(config);
    const bridges = bridgesOf(config, args.bridge);
    const pick = args.action === 'list' ? undefined : pickOf(args);
    const fleet = config.state.url !== undefined;
    // A running bridge holds its queue in memory and would write over a change made here: the
    // folder's lock, or in a fleet each bridge's lease, keeps the two apart.
    const lock = pick && !fleet ? lockStateDir(config.stateDir, `dlq ${args.action}`) : undefined;
    try {
      const report: { bridge: string; outputs: OutputFiles[] }[] = [];
      let changed = 0;
      for (const bridge of bridges) {
        const dir = join(config.stateDir, bridge.id);
        const held = fleet && bridge.config ? await commandState(config, bridge.config, log, { lease: pick !== undefined }) : undefined;
        try {
          if (pick && held?.shared) {
            throw new StorageError('FLEET004', `bridge "${bridge.id}" runs in another gluco-hub process (it holds the bridge's lease): dlq ${args.action} would race its queue`, {
              hint: 'stop that process (or wait for it to hand the bridge over), then run this again',
            });
          }
          const state = held?.options.stateFor?.(log) ?? createStateStore(dir, log);
          // A fleet's queues are Redis keys, not files to list: the bridge's configured outputs name them.
          const outputs = args.output ? [args.output] : fleet ? OUTPUT_NAMES.filter((o) => bridge.config?.[o] !== undefined) : outputsIn(dir);
          const files: OutputFiles[] = [];
          for (const output of outputs) {
            const current = await readOutputFiles(state, output);
            if (pick && args.action === 'retry') changed += await retry(state, current, pick);
            else if (pick && args.action === 'drop') changed += await drop(state, current, pick, args.from ?? 'rejected');
            files.push(current);
          }
          report.push({ bridge: bridge.id, outputs: files });
        } finally {
          await held?.close();
        }
      }
      if (args.action === 'retry') say(`${changed} document(s) will be sent again at the next start of gluco-hub forever.`);
      else if (args.action === 'drop') say(`${changed} document(s) dropped from ${args.from === 'queue' ? 'the queue' : 'the rejected file'}.`);
      else if (args.json) say(JSON.stringify(report, null, 2));
      else {
        const lines = report.flatMap((r) => r.outputs.filter((o) => o.queue.length + o.rejected.length > 0).flatMap((o) => describeFiles(r.bridge, o)));
        say(lines.length > 0 ? lines.join('\n') : `Nothing waits and nothing was set aside (${fleet ? `Redis at ${config.state.url}` : `state folder ${config.stateDir}`}).`);
      }
      process.exitCode = EXIT.ok;
    } finally {
      lock?.release();
    }
  },
};

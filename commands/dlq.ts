import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { readdirSync } from 'node:fs';
import type { BridgeConfig, Config } from '../lib/config/schema.js';
import type { Logger } from '../lib/logger.js';
import { followsSeveral } from '../app/follow-account.js';
import { accountOfPerson, personBridgeIdsIn } from '../app/followed-people.js';
import { commandState } from '../app/fleet/command-state.js';
import { ConfigError, StorageError } from '../lib/errors.js';
import { lockStateDir } from '../lib/state-lock.js';
import { createStateStore } from '../lib/state-store.js';
import { drop, outputsIn, outputsNamed, readOutputFiles, retry, type OutputFiles, type Pick } from '../outputs/reliable/admin.js';
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

interface Target {
  id: string;
  /** A configured bridge's settings; absent for a followed person's bridge. */
  config?: BridgeConfig;
  /** A person's follower account: its lease covers the person's state. */
  account?: BridgeConfig;
}

/** Configured bridges, and the person bridges of those that follow several people (`<bridge>-<slug>`) among the stored ones. */
function bridgesOf(config: Config, wanted: string | undefined, stored: readonly string[]): Target[] {
  const configured = config.bridges.map((b): Target => ({ id: b.id, config: b }));
  const accounts = config.bridges.filter(followsSeveral);
  const people = personBridgeIdsIn(stored, accounts.map((a) => a.id), config.bridges.map((b) => b.id)).map((id): Target => ({ id, account: accountOfPerson(accounts, id) }));
  const all = [...configured, ...people];
  if (wanted === undefined) return all;
  const found = all.filter((b) => b.id === wanted);
  if (found.length === 0) {
    throw new ConfigError('DLQ010', `no bridge "${wanted}"; configured: ${all.map((b) => b.id).join(', ')}`, { hint: 'pass --bridge with one of them, or leave it out for all' });
  }
  return found;
}

/** Where the people of follower accounts keep state: their folders, or in a fleet their keys in Redis (one connection for the command). */
async function storedPlaces(config: Config, log: Logger): Promise<{ stored: string[]; listsOf?: (bridge: string) => Promise<string[]>; close(): Promise<void> }> {
  const accounts = config.bridges.filter(followsSeveral).map((b) => b.id);
  if (accounts.length === 0) return { stored: [], close: () => Promise.resolve() };
  if (config.state.url === undefined) return { stored: foldersIn(config.stateDir), close: () => Promise.resolve() };
  const [{ connectRedis, STATE_COMMAND_TIMEOUT_MS }, { storedBridges, storedLists }] = await Promise.all([import('../lib/fleet/connect.js'), import('../lib/fleet/stored-bridges.js')]);
  const redis = await connectRedis({ url: config.state.url, password: config.state.password, commandTimeoutMs: STATE_COMMAND_TIMEOUT_MS, role: 'state' }, log);
  const close = (): Promise<void> => redis.quit().then(() => undefined, () => redis.disconnect());
  const unreachable = (cause: unknown): StorageError =>
    new StorageError('STATE006', `cannot list the followed people's state in Redis at ${config.state.url}`, { cause, hint: 'check that the Redis in GLUCO_HUB__STATE__URL is up and reachable' });
  try {
    const stored = await storedBridges(redis, config.state.prefix, accounts.map((a) => `${a}-`));
    return { stored, listsOf: (bridge) => storedLists(redis, config.state.prefix, bridge).catch((cause: unknown) => Promise.reject(unreachable(cause))), close };
  } catch (cause) {
    await close();
    throw unreachable(cause);
  }
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
    const pick = args.action === 'list' ? undefined : pickOf(args);
    const fleet = config.state.url !== undefined;
    // A running bridge holds its queue in memory and would write over a change made here: the
    // folder's lock, or in a fleet each bridge's lease, keeps the two apart.
    const lock = pick && !fleet ? lockStateDir(config.stateDir, `dlq ${args.action}`) : undefined;
    let places: Awaited<ReturnType<typeof storedPlaces>> | undefined;
    try {
      places = await storedPlaces(config, log);
      const bridges = bridgesOf(config, args.bridge, places.stored);
      const report: { bridge: string; outputs: OutputFiles[] }[] = [];
      let changed = 0;
      for (const bridge of bridges) {
        const dir = join(config.stateDir, bridge.id);
        // A person's state is fenced by their account's lease: the process that runs the account runs them.
        const leased = bridge.config ?? bridge.account;
        const held = fleet && leased ? await commandState(config, leased, log, { lease: pick !== undefined }) : undefined;
        try {
          if (pick && held?.shared) {
            const whose = bridge.account ? `its follower account "${bridge.account.id}"'s lease` : "the bridge's lease";
            throw new StorageError('FLEET004', `bridge "${bridge.id}" runs in another gluco-hub process (it holds ${whose}): dlq ${args.action} would race its queue`, {
              hint: 'stop that process (or wait for it to hand the bridge over), then run this again',
            });
          }
          const state = held?.optionsFor(bridge.id).stateFor?.(log) ?? createStateStore(dir, log);
          // A fleet's queues are Redis keys, not files: a bridge's configured outputs name them, a person's are found there.
          const outputs = args.output
            ? [args.output]
            : !fleet
              ? outputsIn(dir)
              : bridge.config
                ? OUTPUT_NAMES.filter((o) => bridge.config?.[o] !== undefined)
                : outputsNamed((await places.listsOf?.(bridge.id)) ?? []);
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
      await places?.close();
    }
  },
};

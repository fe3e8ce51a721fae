import { resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { canonicalKind, readEnv, type RawObject } from './env.js';
import type { Env } from './names.js';
import { isObject, readConfigFile } from './file.js';
import { BRIDGE_SECTIONS, envNamesFor, FLAGS, SECRET_KEYS, SOURCE_ALIASES } from './names.js';
import { runtimeLocale, spreadGlobalUnit, unitForLocale } from './unit.js';
import { CONFIG_CODE, configSchema, CREDENTIALS_IN_URL, followedPatients, sourceSchema, type Config } from './schema.js';
import { APP_NAME } from '../version.js';

/** Settings given as command-line flags; they win over everything else. */
export interface CliSettings {
  config?: string | undefined;
  source?: string | undefined;
  logLevel?: string | undefined;
  logFormat?: string | undefined;
  filesystemDir?: string | undefined;
  simulatorInterval?: number | undefined;
  stateDir?: string | undefined;
  /** `--http host:port`. */
  httpBind?: string | undefined;
  /** `--shard i/N`. */
  shard?: string | undefined;
}

export interface LoadOptions {
  env: Env;
  cli?: CliSettings;
  cwd: string;
  /**
   * gluco-hub runs inside Nightscout and writes to the site itself, so a bridge without a
   * configured output is complete and gets no default filesystem output.
   */
  embedded?: boolean;
}

/** Where the filesystem output writes when nothing else is configured (relative to the working directory). */
export const DEFAULT_DATA_DIR = 'gluco-hub-data';

export const SOURCE_KINDS: readonly string[] = sourceSchema.options.map((o) => o.shape.kind.value);

function deepMerge(...layers: RawObject[]): RawObject {
  const out: RawObject = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      const prev = out[k];
      out[k] = isObject(v) && isObject(prev) ? deepMerge(prev, v) : v;
    }
  }
  return out;
}

function cliLayers(cli: CliSettings): { global: RawObject; bridge: RawObject } {
  const global: RawObject = {};
  const bridge: RawObject = {};
  if (cli.logLevel !== undefined || cli.logFormat !== undefined) global.log = { level: cli.logLevel, format: cli.logFormat };
  if (cli.stateDir !== undefined) global.stateDir = cli.stateDir;
  if (cli.httpBind !== undefined) global.http = { bind: cli.httpBind };
  if (cli.shard !== undefined) global.fleet = { shard: cli.shard };
  if (cli.source !== undefined || cli.simulatorInterval !== undefined) {
    bridge.source = { kind: cli.source, intervalSeconds: cli.simulatorInterval };
  }
  if (cli.filesystemDir !== undefined) bridge.filesystem = { dir: cli.filesystemDir };
  return { global, bridge };
}

function pick(obj: RawObject, keys: (k: string) => boolean): RawObject {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => keys(k)));
}

/**
 * Loads the effective configuration. Precedence: CLI flags > environment > config file > defaults.
 * Throws one ConfigError whose message has one coded line per problem.
 */
export function loadConfig(options: LoadOptions): Config {
  const { env, cwd } = options;
  const cli = options.cli ?? {};
  const file = cli.config ? readConfigFile(cli.config, cwd) : {};
  const fileBridges = file.bridges;
  const fileSingle = pick(file, (k) => BRIDGE_SECTIONS.has(k) || k === 'id');
  const kindHint = cli.source ?? (isObject(fileSingle.source) ? fileSingle.source.kind : undefined);
  const fromEnv = readEnv(env, kindHint);
  const fromCli = cliLayers(cli);

  let bridges: unknown;
  if (fileBridges !== undefined) {
    const extra = [fromEnv.bridge, fromCli.bridge, fileSingle].find((l) => Object.keys(l).length > 0);
    if (extra) {
      throw new ConfigError('CFG007', 'the config file defines several bridges, and the environment, flags or top of the file also set a source or output', {
        hint: 'put each bridge\'s source and outputs under its entry in "bridges", and unset CONNECT_* source/output variables',
      });
    }
    bridges = Array.isArray(fileBridges) ? fileBridges.map((b) => normaliseBridge(b, cwd, options.embedded)) : fileBridges;
  } else {
    const single = deepMerge(fileSingle, fromEnv.bridge, fromCli.bridge);
    const source = deepMerge({ kind: 'simulator' }, isObject(single.source) ? single.source : {});
    bridges = [normaliseBridge({ ...single, source, id: single.id ?? canonicalKind(source.kind) }, cwd, options.embedded)];
  }

  const fileGlobal = pick(file, (k) => !BRIDGE_SECTIONS.has(k) && k !== 'id' && k !== 'bridges');
  const defaults = { stateDir: defaultStateDir(env, cwd), unit: unitForLocale(env, runtimeLocale()) };
  const raw = spreadGlobalUnit(deepMerge(defaults, fileGlobal, fromEnv.global, fromCli.global, { bridges }));
  if (typeof raw.stateDir === 'string') raw.stateDir = resolve(cwd, raw.stateDir);
  checkSourceKinds(raw.bridges);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw toConfigError(parsed.error, raw, fileBridges !== undefined);
  if (options.embedded) refuseFollowingSeveral(parsed.data);
  return parsed.data;
}

/** `$XDG_STATE_HOME/gluco-hub` where the desktop convention is set, else `./.gluco-hub`. */
export function defaultStateDir(env: Env, cwd: string): string {
  const xdg = env.XDG_STATE_HOME;
  return xdg ? resolve(xdg, APP_NAME) : resolve(cwd, `.${APP_NAME}`);
}

function normaliseBridge(bridge: unknown, cwd: string, embedded = false): unknown {
  if (!isObject(bridge)) return bridge;
  const out: RawObject = { ...bridge };
  if (isObject(out.source)) out.source = { ...out.source, kind: canonicalKind(out.source.kind) };
  if (isObject(out.source) && out.source.kind === 'nightscout') out.source = splitToken(out.source);
  if (isObject(out.nightscout)) out.nightscout = splitToken(out.nightscout);
  if (isObject(out.people)) out.people = peopleWithTokens(out.people);
  const noDir = out.filesystem === undefined || (isObject(out.filesystem) && out.filesystem.dir === undefined);
  const personSites = isObject(out.people) && Object.values(out.people).some((p) => isObject(p) && p.nightscout !== undefined);
  if (!embedded && noDir && out.nightscout === undefined && out.mqtt === undefined && !personSites) {
    // The filesystem output runs when nothing else is configured, so a fresh install shows data.
    out.filesystem = { ...(isObject(out.filesystem) ? out.filesystem : {}), dir: `${DEFAULT_DATA_DIR}/${typeof out.id === 'string' ? out.id : 'default'}` };
  }
  if (isObject(out.filesystem) && typeof out.filesystem.dir === 'string' && out.filesystem.dir.trim() !== '') {
    out.filesystem = { ...out.filesystem, dir: resolve(cwd, out.filesystem.dir) };
  }
  return out;
}

/**
 * Nightscout access tokens may ride in the URL (`?token=`, as nightscout-connect accepts): they move
 * into `token` (an explicit one wins), so the endpoint is never a secret in logs or `check-config`.
 */
function splitToken(ns: RawObject): RawObject {
  if (typeof ns.endpoint !== 'string') return ns;
  let url: URL;
  try {
    url = new URL(ns.endpoint);
  } catch {
    return ns;
  }
  const token = url.searchParams.get('token');
  if (!token) return ns;
  url.searchParams.delete('token');
  return { ...ns, endpoint: url.toString().replace(/\?$/, ''), token: ns.token ?? token };
}

/** Inside Nightscout every bridge writes to that one site: several people's glucose would mix there. */
function refuseFollowingSeveral(config: Config): void {
  const several = config.bridges.find((b) => followedPatients(b.source) !== undefined);
  if (several) {
    throw new ConfigError('CFG010', 'inside Nightscout gluco-hub writes to this one site, so it cannot follow several people (`patients`, a patient pin of `all`) without mixing their glucose', {
      hint: 'pin one person (CONNECT_LINK_UP_PATIENT_ID, CONNECT_CARELINK_PATIENT_USERNAME), or run gluco-hub on its own with a Nightscout site per person',
    });
  }
}

/** Each followed person's Nightscout URL may carry its token too. */
function peopleWithTokens(people: RawObject): RawObject {
  return Object.fromEntries(
    Object.entries(people).map(([key, person]) => [key, isObject(person) && isObject(person.nightscout) ? { ...person, nightscout: splitToken(person.nightscout) } : person]),
  );
}

function knownSourcesText(): string {
  const aliases = Object.entries(SOURCE_ALIASES).map(([alias, kind]) => `${alias} → ${kind}`);
  return `${SOURCE_KINDS.join(', ')} (aliases: ${aliases.join(', ')})`;
}

function checkSourceKinds(bridges: unknown): void {
  if (!Array.isArray(bridges)) return;
  for (const b of bridges) {
    const kind = isObject(b) && isObject(b.source) ? b.source.kind : undefined;
    if (typeof kind === 'string' && !SOURCE_KINDS.includes(kind)) {
      throw new ConfigError('CFG001', `unknown source "${kind}"`, { hint: `set CONNECT_SOURCE to one of: ${knownSourcesText()}` });
    }
  }
}

interface Setting {
  /** Where it sits in the config: `source.password`, `bridges[1].source.password`. */
  path: string;
  /** The environment variables that set it, when the environment defines the bridge. */
  envNames: string[];
}

function settingOf(issuePath: readonly PropertyKey[], raw: RawObject, multi: boolean): Setting {
  const keys = issuePath.map((p) => (typeof p === 'symbol' ? String(p.description) : p));
  const path = keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
  // Process-wide settings (log, stateDir, http) come from the environment and flags in every set-up.
  if (keys[0] !== 'bridges') return { path, envNames: [...envNamesFor(keys, undefined), ...(FLAGS[path] ? [FLAGS[path]] : [])] };
  if (multi) return { path, envNames: [] };
  const inBridge = keys.slice(2);
  const bridge = (raw.bridges as RawObject[] | undefined)?.[0];
  const kind = isObject(bridge?.source) ? bridge.source.kind : undefined;
  return { path: inBridge.join('.'), envNames: envNamesFor(inBridge, typeof kind === 'string' ? kind : undefined) };
}

function describeSetting(s: Setting, secret: boolean): string {
  if (s.envNames.length === 0) return `${s.path} in the config file`;
  const [first, ...rest] = s.envNames;
  const alternatives = [...rest, ...(secret ? [`${first}_FILE`] : [])];
  return alternatives.length > 0 ? `${first} (or ${alternatives.join(', ')})` : `${first}`;
}

/**
 * A Nightscout URL with credentials in it: which settings they belong in instead. The message
 * names the settings only, never the URL (its password).
 */
function credentialsLine(issue: z.core.$ZodIssue, setting: Setting, raw: RawObject, multi: boolean): string {
  const sibling = (key: string): string => describeSetting(settingOf([...issue.path.slice(0, -1), key], raw, multi), true);
  return (
    `[CFG008] the URL in ${describeSetting(setting, false)} carries a user name or password (user:password@ or secret@ before the host); ` +
    `remove it from the URL and put the access token in ${sibling('token')} or the API secret in ${sibling('apiSecret')}`
  );
}

function hasCredentials(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && (issue.params as Record<string, unknown> | undefined)?.[CREDENTIALS_IN_URL] === true;
}

function toConfigError(error: z.ZodError, raw: RawObject, multi: boolean): ConfigError {
  const lines = error.issues.map((issue) => {
    const setting = settingOf(issue.path, raw, multi);
    if (hasCredentials(issue)) return credentialsLine(issue, setting, raw, multi);
    const key = issue.path[issue.path.length - 1];
    const how = describeSetting(setting, typeof key === 'string' && SECRET_KEYS.has(key));
    const missing = issue.code === 'invalid_type' && issue.message.includes('undefined');
    if (missing) return `[CFG003] missing ${setting.path}: set ${how}`;
    const own = issue.code === 'custom' ? (issue.params as Record<string, unknown> | undefined)?.[CONFIG_CODE] : undefined;
    if (typeof own === 'string') return `[${own}] ${setting.path} ${issue.message}`;
    if (issue.message.includes('URL')) return `[CFG002] malformed URL in ${setting.path}: ${issue.message}; fix ${how}`;
    return `[CFG006] invalid ${setting.path}: ${issue.message}; fix ${how}`;
  });
  const first = lines[0] ?? '[CFG006] invalid configuration';
  const code = /^\[(CFG\d+)\]/.exec(first)?.[1] ?? 'CFG006';
  return new ConfigError(code, lines.join('\n').replace(/^\[CFG\d+\] /, ''));
}

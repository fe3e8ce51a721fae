import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import {
  BRIDGE_SECTIONS,
  OUTPUT_ENV,
  OWN_PREFIX,
  SECRET_KEYS,
  SOURCE_ALIASES,
  SOURCE_ENV,
  snakeToCamel,
  type Env,
} from './names.js';
import { impliedSource, withLegacyNames } from './legacy-names.js';

export type RawObject = Record<string, unknown>;

/** What the environment says, split into process-wide settings and the one bridge it may define. */
export interface EnvConfig {
  global: RawObject;
  bridge: RawObject;
}

export function canonicalKind(kind: unknown): unknown {
  if (typeof kind !== 'string') return kind;
  const k = kind.trim().toLowerCase();
  return SOURCE_ALIASES[k] ?? k;
}

function setPath(target: RawObject, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as RawObject;
  }
  node[path[path.length - 1]!] = value;
}

/** `NAME` or, for a secret, `NAME_FILE` (the file's content, trailing newline dropped). */
function readValue(env: Env, name: string, secret: boolean): string | undefined {
  const direct = env[name];
  const file = secret ? env[`${name}_FILE`] : undefined;
  if (file !== undefined && file !== '') {
    if (direct !== undefined && direct !== '') {
      throw new ConfigError('CFG004', `both ${name} and ${name}_FILE are set`, { hint: 'set only one of them' });
    }
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (cause) {
      throw new ConfigError('CFG004', `cannot read ${name}_FILE (${file}): ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, {
        cause,
        hint: 'point it at a readable file that holds only the secret',
      });
    }
  }
  return direct === '' ? undefined : direct;
}

/**
 * Reads nightscout-connect's names and `GLUCO_HUB__SECTION__KEY`. The source kind decides which
 * vendor's variables apply, so `kindHint` (from flags or the config file) is used when the
 * environment does not name one.
 */
export function readEnv(given: Env, kindHint: unknown): EnvConfig {
  const env = withLegacyNames(given);
  const global: RawObject = {};
  const bridge: RawObject = {};

  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(OWN_PREFIX) || value === undefined || name.endsWith('_FILE')) continue;
    const parts = name.slice(OWN_PREFIX.length).split('__').map(snakeToCamel);
    if (parts.some((p) => p.length === 0)) continue;
    const secret = SECRET_KEYS.has(parts[parts.length - 1]!);
    const v = readValue(env, name, secret);
    if (v === undefined) continue;
    setPath(BRIDGE_SECTIONS.has(parts[0]!) ? bridge : global, parts, v);
  }
  // Secrets given only as GLUCO_HUB__…_FILE.
  for (const name of Object.keys(env)) {
    if (!name.startsWith(OWN_PREFIX) || !name.endsWith('_FILE')) continue;
    const base = name.slice(0, -'_FILE'.length);
    if (env[base] !== undefined && env[base] !== '') continue;
    const parts = base.slice(OWN_PREFIX.length).split('__').map(snakeToCamel);
    if (!SECRET_KEYS.has(parts[parts.length - 1]!)) continue;
    const v = readValue(env, base, true);
    if (v !== undefined) setPath(BRIDGE_SECTIONS.has(parts[0]!) ? bridge : global, parts, v);
  }

  const connectKind = readValue(env, 'CONNECT_SOURCE', false) ?? (kindHint === undefined ? impliedSource(env) : undefined);
  if (connectKind !== undefined) setPath(bridge, ['source', 'kind'], connectKind);
  const source = (bridge.source ?? {}) as RawObject;
  const kind = canonicalKind(source.kind ?? kindHint ?? 'simulator');
  if (source.kind !== undefined) source.kind = canonicalKind(source.kind);

  for (const [name, key] of Object.entries(SOURCE_ENV[typeof kind === 'string' ? kind : ''] ?? {})) {
    const v = readValue(env, name, SECRET_KEYS.has(key));
    if (v !== undefined && source[key] === undefined) setPath(bridge, ['source', key], v);
  }
  for (const [name, path] of Object.entries(OUTPUT_ENV)) {
    const [section, key] = path.split('.') as [string, string];
    const v = readValue(env, name, SECRET_KEYS.has(key));
    const current = (bridge[section] as RawObject | undefined)?.[key];
    if (v !== undefined && current === undefined) setPath(bridge, [section, key], v);
  }
  return { global, bridge };
}

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type * as Yaml from 'yaml';
import { ConfigError } from '../errors.js';
import { SECRET_KEYS } from './names.js';
import type { RawObject } from './env.js';
import { unclosedOpening } from './unclosed-bracket.js';

/**
 * Config files are YAML 1.2. YAML is a superset of JSON, so one parser reads both `.yaml` and
 * `.json`, and a hand-written file can carry comments explaining each bridge.
 */
export function readConfigFile(path: string, cwd: string): RawObject {
  const full = resolve(cwd, path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (cause) {
    throw new ConfigError('CFG005', `cannot read config file ${full}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, {
      cause,
      hint: 'check the --config path',
    });
  }
  let doc: unknown;
  try {
    doc = yaml().parse(text, { prettyErrors: true });
  } catch (cause) {
    throw syntaxError(full, text, cause);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError('CFG005', `config file ${full} must hold a mapping (key: value) at the top`, {
      hint: 'see docs/configuration.md ("Config file") for an example',
    });
  }
  return resolveSecretFiles(doc as RawObject, dirname(full));
}

/**
 * The YAML parser, loaded on the first `--config` (most bridges are set by environment alone).
 * `require`, not `import()`: configuration loads synchronously.
 */
function yaml(): typeof Yaml {
  return createRequire(import.meta.url)('yaml') as typeof Yaml;
}

/** The parser's first line, or — for an unclosed `{` or `[` — the line that opened it. */
function syntaxError(full: string, text: string, cause: unknown): ConfigError {
  const message = String((cause as Error).message).split('\n')[0]!.replace(/:$/, '');
  const missing = /end with an? ([}\]])/.exec(message)?.[1];
  const offset = (cause as { pos?: [number, number] }).pos?.[0];
  const opening = missing === undefined || offset === undefined ? undefined : unclosedOpening(text, offset, missing === '}' ? '{' : '[');
  if (opening !== undefined) {
    const bracket = missing === '}' ? '{' : '[';
    return new ConfigError('CFG005', `config file ${full} is not valid YAML/JSON: the "${bracket}" at line ${opening.line}, column ${opening.column} is never closed (${message})`, {
      cause,
      hint: `add the missing "${missing}" where that value ends`,
    });
  }
  return new ConfigError('CFG005', `config file ${full} is not valid YAML/JSON: ${message}`, { cause, hint: 'fix the syntax at the line named' });
}

/** `passwordFile: /run/secrets/x` → `password: <file content>`, for every secret key, at any depth. */
function resolveSecretFiles(node: RawObject, baseDir: string): RawObject {
  const out: RawObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.endsWith('File') && SECRET_KEYS.has(key.slice(0, -4)) && typeof value === 'string') {
      const secretKey = key.slice(0, -4);
      if (node[secretKey] !== undefined) {
        throw new ConfigError('CFG004', `both ${secretKey} and ${key} are set in the config file`, { hint: 'keep only one' });
      }
      out[secretKey] = readSecretFile(resolve(baseDir, value), key);
    } else if (Array.isArray(value)) {
      out[key] = value.map((v: unknown) => (isObject(v) ? resolveSecretFiles(v, baseDir) : v));
    } else {
      out[key] = isObject(value) ? resolveSecretFiles(value, baseDir) : value;
    }
  }
  return out;
}

function readSecretFile(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (cause) {
    throw new ConfigError('CFG004', `cannot read ${key} (${path}): ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, {
      cause,
      hint: 'point it at a readable file that holds only the secret',
    });
  }
}

export function isObject(v: unknown): v is RawObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

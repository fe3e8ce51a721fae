import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type CliSettings } from '../../lib/config/load.js';
import { ConfigError } from '../../lib/errors.js';

/** A fresh working directory and `load(env, cli)` against it, as the CLI loads its configuration. */
export function configLoader(prefix: string): { cwd: string; load: (env: Record<string, string>, cli?: CliSettings) => ReturnType<typeof loadConfig> } {
  const cwd = mkdtempSync(join(tmpdir(), prefix));
  return { cwd, load: (env, cli = {}) => loadConfig({ env, cli, cwd }) };
}

/** The ConfigError `fn` throws; fails the test when it throws nothing or something else. */
export function failure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

import { loadConfig } from '../../lib/config/load.js';
import { BRIDGE_SECTIONS, OUTPUT_ENV, OWN_PREFIX, SOURCE_ENV, snakeToCamel } from '../../lib/config/names.js';

const CONNECT_NAMES = new Set(['CONNECT_SOURCE', ...Object.keys(OUTPUT_ENV), ...Object.values(SOURCE_ENV).flatMap((t) => Object.keys(t))]);

function at(node: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((n, key) => (typeof n === 'object' && n !== null ? (n as Record<string, unknown>)[key] : undefined), node);
}

/**
 * The names in `env` that gluco-hub does not read. The real loader runs on `env` (so a bad value
 * throws its coded error); a `GLUCO_HUB__…` name counts as read only if its value landed in the
 * loaded configuration, since the schema drops keys it does not know without a word.
 */
export function unreadNames(env: Record<string, string>, cwd: string): string[] {
  const config = loadConfig({ env, cwd });
  return Object.keys(env).filter((name) => {
    if (!name.startsWith(OWN_PREFIX)) return !CONNECT_NAMES.has(name);
    const path = name.slice(OWN_PREFIX.length).replace(/_FILE$/, '').split('__').map(snakeToCamel);
    const root = BRIDGE_SECTIONS.has(path[0]!) ? config.bridges[0] : config;
    return at(root, path) === undefined;
  });
}

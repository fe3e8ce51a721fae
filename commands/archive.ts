import { statSync } from 'node:fs';
import type { BridgeConfig, Config } from '../lib/config/schema.js';
import { ConfigError } from '../lib/errors.js';

/**
 * The bridge whose filesystem archive `export` and `report` read: the one named, or the only one.
 * Its folder must exist: an empty result from a wrong folder would look like "no data".
 */
export function archiveOf(config: Config, wanted: string | undefined): { bridge: BridgeConfig; dir: string } {
  const ids = config.bridges.map((b) => b.id).join(', ');
  let bridge: BridgeConfig | undefined;
  if (wanted !== undefined) {
    bridge = config.bridges.find((b) => b.id === wanted);
    if (!bridge) throw new ConfigError('EXP003', `no bridge "${wanted}"; configured: ${ids}`, { hint: 'pass --bridge with one of them' });
  } else if (config.bridges.length === 1) {
    bridge = config.bridges[0]!;
  } else {
    throw new ConfigError('EXP004', `${config.bridges.length} bridges are configured (${ids}); which one?`, { hint: 'pass --bridge ID' });
  }
  const dir = bridge.filesystem?.dir;
  if (dir === undefined) {
    throw new ConfigError('EXP005', `bridge "${bridge.id}" has no filesystem output, so there is no archive to read`, {
      hint: 'set GLUCO_HUB__FILESYSTEM__DIR (or filesystem.dir in the config file) as forever runs with, or pass --data-dir',
    });
  }
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new ConfigError('EXP005', `no data folder at ${dir} for bridge "${bridge.id}"`, {
      hint: 'run it where forever runs (the default folder is ./gluco-hub-data/<bridge>), or pass --data-dir / --config as forever gets them',
    });
  }
  return { bridge, dir };
}

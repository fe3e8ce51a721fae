import { INTERNAL_SOURCE_SETTINGS, type Config } from './schema.js';

/**
 * The configuration as `check-config` shows it: secrets print as `***` (their toJSON), and
 * settings meant only for tests are left out, so nobody reads them as something to set.
 */
export function printableConfig(config: Config): unknown {
  return {
    ...config,
    bridges: config.bridges.map((bridge) => {
      const internal = new Set(INTERNAL_SOURCE_SETTINGS[bridge.source.kind] ?? []);
      return { ...bridge, source: Object.fromEntries(Object.entries(bridge.source).filter(([key]) => !internal.has(key))) };
    }),
  };
}

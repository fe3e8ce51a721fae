import type { SourceKind, SourceSettings } from '../lib/config/schema.js';
import { ConfigError } from '../lib/errors.js';
import type { DriverContext, SourceDriver } from './types.js';

type Factory = (settings: SourceSettings, ctx: DriverContext) => Promise<SourceDriver>;

/**
 * Source name → driver. Drivers load lazily, so a process pays only for the vendors it uses.
 * Adding a vendor is a folder under sources/ and one line here.
 */
const DRIVERS: Partial<Record<SourceKind, Factory>> = {
  simulator: async (settings, ctx) => {
    const { createSimulatorDriver } = await import('./simulator/index.js');
    if (settings.kind !== 'simulator') throw new Error('simulator factory given other settings');
    return createSimulatorDriver(settings, ctx);
  },
  linkup: async (settings, ctx) => {
    const { createLibreLinkUpDriver } = await import('./librelinkup/index.js');
    if (settings.kind !== 'linkup') throw new Error('linkup factory given other settings');
    return createLibreLinkUpDriver(settings, ctx);
  },
  dexcomshare: async (settings, ctx) => {
    const { createDexcomShareDriver } = await import('./dexcomshare/index.js');
    if (settings.kind !== 'dexcomshare') throw new Error('dexcomshare factory given other settings');
    return createDexcomShareDriver(settings, ctx);
  },
  minimedcarelink: async (settings, ctx) => {
    const { createCareLinkDriver } = await import('./carelink/index.js');
    if (settings.kind !== 'minimedcarelink') throw new Error('minimedcarelink factory given other settings');
    return createCareLinkDriver(settings, ctx);
  },
  nightscout: async (settings, ctx) => {
    const { createNightscoutSourceDriver } = await import('./nightscout/index.js');
    if (settings.kind !== 'nightscout') throw new Error('nightscout factory given other settings');
    return createNightscoutSourceDriver(settings, ctx);
  },
};

/** Sources with a working driver in this build. */
export function availableSources(): SourceKind[] {
  return Object.keys(DRIVERS) as SourceKind[];
}

/** SRC001: a source the configuration knows but this build has no driver for. */
export function unavailableSource(kind: string, available: readonly string[]): ConfigError {
  return new ConfigError('SRC001', `the "${kind}" source is not available in this version of gluco-hub`, {
    hint: `available sources: ${available.join(', ')}`,
  });
}

export async function createDriver(settings: SourceSettings, ctx: DriverContext): Promise<SourceDriver> {
  const factory = DRIVERS[settings.kind];
  if (!factory) throw unavailableSource(settings.kind, availableSources());
  return factory(settings, ctx);
}

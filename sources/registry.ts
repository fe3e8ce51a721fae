import type { SourceKind, SourceSettings } from '../lib/config/schema.js';
import type { DriverContext, SourceDriver } from '../lib/contracts/source.js';

type Factory = (settings: SourceSettings, ctx: DriverContext) => Promise<SourceDriver>;

/**
 * Source name → driver. Drivers load lazily, so a process pays only for the vendors it uses.
 * Adding a vendor is a folder under sources/, one line here and one in eager.ts (the plugin's table).
 */
const DRIVERS: Record<SourceKind, Factory> = {
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
  glooko: async (settings, ctx) => {
    const { createGlookoDriver } = await import('./glooko/index.js');
    if (settings.kind !== 'glooko') throw new Error('glooko factory given other settings');
    return createGlookoDriver(settings, ctx);
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

/** Every source kind the configuration accepts; the table's type makes each one have a driver. */
export function availableSources(): SourceKind[] {
  return Object.keys(DRIVERS) as SourceKind[];
}

export async function createDriver(settings: SourceSettings, ctx: DriverContext): Promise<SourceDriver> {
  return DRIVERS[settings.kind](settings, ctx);
}

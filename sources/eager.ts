import type { SourceKind, SourceSettings } from '../lib/config/schema.js';
import { createCareLinkDriver } from './carelink/index.js';
import { createDexcomShareDriver } from './dexcomshare/index.js';
import { createGlookoDriver } from './glooko/index.js';
import { createLibreLinkUpDriver } from './librelinkup/index.js';
import { createNightscoutSourceDriver } from './nightscout/index.js';
import { createSimulatorDriver } from './simulator/index.js';
import type { DriverContext, SourceDriver } from '../lib/contracts/source.js';

/**
 * Every driver loaded up front, built synchronously. Inside Nightscout a bad setting must reach
 * `ctx.bootErrors` before the plugin function returns, and building a driver is where a region
 * or server is checked (LLU001, DEX001, …). The CLI keeps the lazy registry (registry.ts).
 */
type Build<K extends SourceKind> = (settings: Extract<SourceSettings, { kind: K }>, ctx: DriverContext) => SourceDriver;

const EAGER: { [K in SourceKind]: Build<K> } = {
  simulator: createSimulatorDriver,
  linkup: createLibreLinkUpDriver,
  dexcomshare: createDexcomShareDriver,
  minimedcarelink: createCareLinkDriver,
  nightscout: createNightscoutSourceDriver,
  glooko: createGlookoDriver,
};

export function createDriverNow(settings: SourceSettings, ctx: DriverContext): SourceDriver {
  const build = EAGER[settings.kind] as Build<SourceKind>;
  return build(settings, ctx);
}

import type { Env } from '../../lib/config/names.js';
import { camelToSnake } from '../../lib/config/names.js';
import type { NightscoutEnv } from '../../lib/nightscout/plugin-ctx.js';

/**
 * Nightscout's `extendedSettings` back to the environment names they came from, so the plugin
 * reads its settings through the same loader, with the same coded errors, as the CLI.
 * Nightscout builds `extendedSettings.<plugin>` from `<PLUGIN>_*` by stripping the prefix and
 * camelCasing, and turns numeric strings into numbers: a password `0123` arrives as 123. So the
 * raw string in the process environment wins where there is one; the setting is the fallback
 * (settings that did not come from the environment, tests).
 */

/** `extendedSettings` section → the prefix of its variables. */
const SECTIONS: Record<string, string> = {
  connect: 'CONNECT_',
  bridge: 'BRIDGE_',
  mmconnect: 'MMCONNECT_',
};

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function pluginEnv(env: NightscoutEnv, processEnv: Env): Env {
  const out: Record<string, string | undefined> = { ...processEnv };
  for (const [section, prefix] of Object.entries(SECTIONS)) {
    const settings = env.extendedSettings?.[section];
    if (!settings) continue;
    for (const [key, value] of Object.entries(settings)) {
      const name = `${prefix}${camelToSnake(key)}`;
      const text = asText(value);
      if (text !== undefined && (out[name] === undefined || out[name] === '')) out[name] = text;
    }
  }
  const unit = siteUnit(env);
  if (unit !== undefined && (out.GLUCO_HUB__UNIT === undefined || out.GLUCO_HUB__UNIT === '')) out.GLUCO_HUB__UNIT = unit;
  return out;
}

/** The site's `DISPLAY_UNITS` as gluco-hub's unit: inside Nightscout the site's choice beats the locale. */
function siteUnit(env: NightscoutEnv): 'mgdl' | 'mmol' | undefined {
  const units = asText(env.settings?.units)?.toLowerCase();
  if (units === undefined || units.trim() === '') return undefined;
  return units.includes('mmol') ? 'mmol' : 'mgdl';
}

/** The source the site asks for, if any: without one the plugin stays out of the way. */
export function requestedSource(env: NightscoutEnv): string | undefined {
  const source = asText(env.extendedSettings?.connect?.source)?.trim();
  return source === undefined || source === '' ? undefined : source;
}

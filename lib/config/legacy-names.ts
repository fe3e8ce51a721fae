import type { Env } from './names.js';

/**
 * Names from the bridges Nightscout shipped before nightscout-connect: share2nightscout-bridge
 * (`BRIDGE_*`) and minimed-connect (`MMCONNECT_*`). Nightscout 15.0.9 maps them onto `CONNECT_*`
 * itself (cgm-remote-monitor#8556); reading them here lets a site or a standalone install that
 * still sets only the old names move over without renaming anything. A `CONNECT_*` value wins.
 */

/** Old name → the `CONNECT_*` name it stands for. */
export const LEGACY_ENV: Record<string, string> = {
  BRIDGE_USER_NAME: 'CONNECT_SHARE_ACCOUNT_NAME',
  BRIDGE_PASSWORD: 'CONNECT_SHARE_PASSWORD',
  MMCONNECT_USER_NAME: 'CONNECT_CARELINK_USERNAME',
  MMCONNECT_PASSWORD: 'CONNECT_CARELINK_PASSWORD',
  MMCONNECT_COUNTRYCODE: 'CONNECT_COUNTRY_CODE',
  MMCONNECT_SERVER: 'CONNECT_CARELINK_REGION',
};

/** With no `CONNECT_SOURCE`, an old bridge's account name says which source it was. */
const IMPLIED_SOURCE: Record<string, string> = {
  BRIDGE_USER_NAME: 'dexcomshare',
  MMCONNECT_USER_NAME: 'minimedcarelink',
};

const set = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

/**
 * `BRIDGE_SERVER` is `US` or `EU` (share2nightscout-bridge's two servers), or a host name:
 * the region for the first two, the server for a host.
 */
function bridgeServer(value: string): [name: string, value: string] {
  const v = value.trim();
  return /^(us|eu|ous)$/i.test(v) ? ['CONNECT_SHARE_REGION', v.toLowerCase()] : ['CONNECT_SHARE_SERVER', v];
}

/** The environment with every old name copied to its `CONNECT_*` name where that one is unset. */
export function withLegacyNames(env: Env): Env {
  const out: Record<string, string | undefined> = { ...env };
  const fill = (name: string, value: string): void => {
    if (!set(out[name]) && !set(out[`${name}_FILE`])) out[name] = value;
  };
  for (const [old, name] of Object.entries(LEGACY_ENV)) {
    const value = env[old];
    if (set(value)) fill(name, value);
  }
  const server = env.BRIDGE_SERVER;
  if (set(server)) fill(...bridgeServer(server));
  return out;
}

/** The source an old bridge's variables imply, for when nothing else names one. */
export function impliedSource(env: Env): string | undefined {
  for (const [old, kind] of Object.entries(IMPLIED_SOURCE)) if (set(env[old])) return kind;
  return undefined;
}

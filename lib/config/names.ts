/**
 * Environment names, as data. nightscout-connect's names are accepted
 * as they are, so gluco-hub drops in where it ran; our own are `GLUCO_HUB__SECTION__KEY`.
 * The same tables name the setting in error messages, so a user is told the variable to set.
 */

/** The process environment, or a plugin's stand-in for it: the tables below are read from it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Canonical source kinds, with the aliases users already type. */
export const SOURCE_ALIASES: Record<string, string> = {
  librelinkup: 'linkup',
  carelink: 'minimedcarelink',
};

/** Per source kind: environment variable → key under `source`. First name listed wins. */
export const SOURCE_ENV: Record<string, Record<string, string>> = {
  simulator: {
    CONNECT_SIMULATOR_INTERVAL: 'intervalSeconds',
    CONNECT_SIMULATOR_SEED: 'seed',
    CONNECT_SIMULATOR_FAIL_AUTH: 'failAuth',
  },
  linkup: {
    CONNECT_LINK_UP_USERNAME: 'username',
    CONNECT_LINK_UP_PASSWORD: 'password',
    CONNECT_LINK_UP_REGION: 'region',
    CONNECT_LINK_UP_SERVER: 'server',
    CONNECT_LINK_UP_PATIENT_ID: 'patientId',
    CONNECT_LINK_UP_PATIENT_NAME: 'patientName',
    CONNECT_LINK_UP_VERSION: 'version',
    CONNECT_LINK_UP_PRODUCT: 'product',
    CONNECT_LINK_UP_ACCEPT_TERMS: 'acceptTerms',
    CONNECT_LINK_UP_AUTO_ACCEPT_TERMS: 'acceptTerms',
    CONNECT_LINK_UP_INTERVAL_SECONDS: 'intervalSeconds',
    CONNECT_LINK_UP_MIN_INTERVAL_SECONDS: 'minIntervalSeconds',
  },
  dexcomshare: {
    CONNECT_SHARE_ACCOUNT_NAME: 'accountName',
    CONNECT_SHARE_PASSWORD: 'password',
    CONNECT_SHARE_REGION: 'region',
    CONNECT_SHARE_SERVER: 'server',
    CONNECT_SHARE_INTERVAL_SECONDS: 'intervalSeconds',
    CONNECT_SHARE_MIN_INTERVAL_SECONDS: 'minIntervalSeconds',
  },
  nightscout: {
    CONNECT_SOURCE_ENDPOINT: 'endpoint',
    CONNECT_SOURCE_API_SECRET: 'apiSecret',
    CONNECT_SOURCE_TOKEN: 'token',
  },
  glooko: {
    CONNECT_GLOOKO_EMAIL: 'email',
    CONNECT_GLOOKO_PASSWORD: 'password',
    CONNECT_GLOOKO_ENV: 'region',
    CONNECT_GLOOKO_REGION: 'region',
    CONNECT_GLOOKO_SERVER: 'server',
    CONNECT_GLOOKO_TIMEZONE: 'timezone',
    CONNECT_GLOOKO_TIMEZONE_OFFSET: 'timezoneOffset',
    CONNECT_GLOOKO_AUTH_MODE: 'authMode',
    CONNECT_GLOOKO_LOOKBACK_DAYS: 'lookbackDays',
    CONNECT_GLOOKO_SKIP_ENTRIES: 'skipEntries',
    CONNECT_GLOOKO_USE_V3_GRAPH: 'useV3Graph',
    CONNECT_GLOOKO_INTERVAL_SECONDS: 'intervalSeconds',
    CONNECT_GLOOKO_DEVICE_ID: 'deviceId',
    CONNECT_GLOOKO_SERIAL_NUMBER: 'serialNumber',
  },
  minimedcarelink: {
    CONNECT_CARELINK_USERNAME: 'username',
    CONNECT_CARELINK_PASSWORD: 'password',
    CONNECT_COUNTRY_CODE: 'countryCode',
    CONNECT_CARELINK_REGION: 'region',
    CONNECT_CARELINK_SERVER: 'server',
    CONNECT_CARELINK_PATIENT_USERNAME: 'patientUsername',
    CONNECT_LANGUAGE_CODE: 'languageCode',
    CONNECT_CARELINK_INTERVAL_SECONDS: 'intervalSeconds',
    CONNECT_CARELINK_MIN_INTERVAL_SECONDS: 'minIntervalSeconds',
  },
};

/** Output settings from nightscout-connect's names (and the aliases people use), → `section.key`. */
export const OUTPUT_ENV: Record<string, string> = {
  CONNECT_NIGHTSCOUT_ENDPOINT: 'nightscout.endpoint',
  CONNECT_NIGHTSCOUT_URL: 'nightscout.endpoint',
  CONNECT_API_SECRET: 'nightscout.apiSecret',
  CONNECT_NIGHTSCOUT_API_SECRET: 'nightscout.apiSecret',
  CONNECT_NIGHTSCOUT_TOKEN: 'nightscout.token',
};

/** Keys whose values are secrets: each may also come from `<NAME>_FILE` (env) or `<key>File` (config file). */
export const SECRET_KEYS = new Set(['password', 'apiSecret', 'token', 'bearerToken']);

/** Process-wide settings that a command-line flag also sets, named in error messages. */
export const FLAGS: Record<string, string> = {
  'log.level': '--log-level',
  'log.format': '--log-format',
  stateDir: '--state-dir',
  'http.bind': '--http',
  'fleet.shard': '--shard',
};

export const OWN_PREFIX = 'GLUCO_HUB__';

/** Sections of `GLUCO_HUB__SECTION__KEY` that configure the single bridge the environment defines. */
export const BRIDGE_SECTIONS = new Set(['source', 'nightscout', 'filesystem', 'mqtt', 'dlq', 'people']);

export function snakeToCamel(name: string): string {
  return name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function camelToSnake(name: string): string {
  return name.replace(/([A-Z])/g, '_$1').toUpperCase();
}

/** The environment variables that set `path` (e.g. `source.password` for `linkup`), for error messages. */
export function envNamesFor(path: readonly (string | number)[], kind: string | undefined): string[] {
  const [section, key] = path.map(String);
  if (section === undefined) return [];
  const names: string[] = [];
  if (section === 'source' && key !== undefined) {
    if (key === 'kind') names.push('CONNECT_SOURCE');
    for (const [env, k] of Object.entries(SOURCE_ENV[kind ?? ''] ?? {})) if (k === key) names.push(env);
  } else if (key !== undefined) {
    for (const [env, p] of Object.entries(OUTPUT_ENV)) if (p === `${section}.${key}`) names.push(env);
  }
  names.push(key === undefined ? `${OWN_PREFIX}${camelToSnake(section)}` : `${OWN_PREFIX}${camelToSnake(section)}__${camelToSnake(key)}`);
  return names;
}

import type { RawObject } from './env.js';
import type { Env } from './names.js';
import { isObject } from './file.js';

export type GlucoseUnit = 'mgdl' | 'mmol';

/**
 * Regions (ISO 3166) whose clinics and meters read glucose in mmol/L; everywhere else gets mg/dL.
 * Deliberately short and certain: where both are in use (Germany, Austria, Belgium, Switzerland's
 * neighbours) mg/dL stays the default and `GLUCO_HUB__UNIT=mmol` is one line away.
 */
export const MMOL_REGIONS: ReadonlySet<string> = new Set([
  'GB', 'IE', 'CA', 'AU', 'NZ', 'ZA', 'NL', 'SE', 'NO', 'DK', 'FI', 'IS', 'EE', 'LV', 'LT',
  'CZ', 'SK', 'SI', 'HR', 'CH', 'RU', 'UA', 'KZ', 'CN', 'HK', 'SG', 'MY',
]);

/** The region of `en_GB.UTF-8`, `sv-SE`, `de_CH@euro`; none for `C`, `POSIX` or a bare language. */
export function regionOf(locale: string): string | undefined {
  const tag = locale.split(/[.@]/)[0] ?? '';
  const parts = tag.split(/[_-]/).slice(1);
  return parts.map((p) => p.toUpperCase()).find((p) => /^[A-Z]{2}$/.test(p));
}

/**
 * The runtime's default locale (what `Intl` resolves from the environment or the system). Asked of
 * `Intl.PluralRules`, not `Intl.DateTimeFormat`: both resolve the same default, but the first
 * DateTimeFormat pulls in ICU's calendar and time-zone data, about 7 MB of RSS in a bridge that
 * formats no dates (PluralRules: under 1 MB; docs/performance.md, `peer`).
 */
export function runtimeLocale(): string {
  return new Intl.PluralRules().resolvedOptions().locale;
}

/**
 * The unit a person in this locale reads: POSIX order (`LC_ALL`, then `LC_MEASUREMENT`, then
 * `LANG`), else the runtime's locale (`Intl`), as given by the caller.
 */
export function unitForLocale(env: Env, runtimeLocale: string): GlucoseUnit {
  const posix = [env.LC_ALL, env.LC_MEASUREMENT, env.LANG].find((v) => v !== undefined && v !== '');
  const region = regionOf(posix ?? runtimeLocale);
  return region !== undefined && MMOL_REGIONS.has(region) ? 'mmol' : 'mgdl';
}

/**
 * The global `unit` is each output's default: the status page (`http.unit`) and every bridge's
 * MQTT output (`mqtt.unit`) take it unless they name their own.
 */
export function spreadGlobalUnit(raw: RawObject): RawObject {
  const unit = raw.unit;
  // A wrong global unit is reported once, as itself, not again under each output.
  if (typeof unit !== 'string' || !/^\s*(mgdl|mmol)\s*$/i.test(unit)) return raw;
  const http = isObject(raw.http) ? raw.http : {};
  const bridges = Array.isArray(raw.bridges)
    ? raw.bridges.map((b: unknown) => (isObject(b) && isObject(b.mqtt) && b.mqtt.unit === undefined ? { ...b, mqtt: { ...b.mqtt, unit } } : b))
    : raw.bridges;
  return { ...raw, http: { ...http, unit: http.unit ?? unit }, bridges };
}

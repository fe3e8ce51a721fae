import type { Logger } from '../../lib/logger.js';
import { glkError } from './errors.js';
import { isIanaZone, type Zone } from './timezone.js';

/** The configured zone settings (CONNECT_GLOOKO_TIMEZONE, CONNECT_GLOOKO_TIMEZONE_OFFSET). */
export interface ZoneSettings {
  /** IANA name; validated by the config schema. */
  timezone?: string | undefined;
  /** Hours east of UTC, without daylight saving (nightscout-connect's setting). */
  timezoneOffset?: number | undefined;
}

/**
 * Which zone Glooko's wall-clock times are read in: the configured IANA zone, else the configured
 * fixed offset (warned about once: it has no daylight saving), else the account's own zone from
 * `/api/v3/session/users`. Without any of them there is no safe guess: GLK013.
 */
export function resolveZone(settings: ZoneSettings, accountZone: string | undefined, log: Logger): Zone {
  if (settings.timezone !== undefined) return { kind: 'iana', name: settings.timezone };
  if (settings.timezoneOffset !== undefined) {
    const warning = glkError('GLK018', { params: { hours: settings.timezoneOffset } });
    log.warn({ code: warning.code }, warning.toUserLine());
    return { kind: 'fixed', minutes: Math.round(settings.timezoneOffset * 60) };
  }
  if (accountZone !== undefined && isIanaZone(accountZone)) return { kind: 'iana', name: accountZone };
  throw glkError('GLK013', { params: { zone: accountZone ?? 'nothing' } });
}

import { errorTable, type ErrorSpec } from '../../lib/error-table.js';

/**
 * Every error the Glooko driver throws (or logs), as data: class, message and hint per code.
 * Messages never carry the password, the session cookie or a body with either; a `cause` is
 * built by `responseCause` (status + short, redacted excerpt).
 */

const REGION_HINT =
  'a wrong region refuses good credentials: CONNECT_GLOOKO_ENV is us (my.glooko.com), eu (eu.my.glooko.com), ca or de-fr, as the address you sign in at on the web';

export const GLK_ERRORS = {
  GLK001: {
    kind: 'config',
    message: 'the Glooko server "{server}" is not a host[:port] or an http(s) URL without a user name or password',
    hint: 'set CONNECT_GLOOKO_SERVER to e.g. eu.api.glooko.com or http://127.0.0.1:8080, or remove it and set CONNECT_GLOOKO_ENV',
  },
  GLK002: {
    kind: 'auth',
    message: 'Glooko refused the e-mail or password ({reason})',
    hint: `check them by signing in on the Glooko web site; ${REGION_HINT}; gluco-hub will not try again until the e-mail, password, region or server changes`,
  },
  GLK003: {
    kind: 'auth',
    message: 'not signing in: Glooko refused these credentials before',
    hint: `${REGION_HINT}; change the configured e-mail, password, region or server to try again`,
  },
  GLK004: {
    kind: 'auth',
    message: 'this Glooko account uses two-step verification, which gluco-hub cannot complete',
    hint: 'turn two-step verification off for the account in Glooko, or use an account without it (for example a clinic-shared one); gluco-hub will not try again until the configuration changes',
  },
  GLK005: {
    kind: 'rate',
    message: 'not signing in to Glooko for another {seconds} s: {reason}',
    hint: 'gluco-hub signs in again on its own when the wait is over',
  },
  GLK006: {
    kind: 'session',
    message: 'the Glooko session is no longer valid ({reason})',
    hint: 'gluco-hub signs in again on its own',
  },
  GLK007: {
    kind: 'rate',
    message: 'Glooko refused {what} with HTTP {status} (throttled or feed unavailable); backing off for {minutes} min',
    hint: 'gluco-hub retries from the same place, so nothing is skipped; if it persists for hours, other apps may be polling the account or Glooko changed its API',
  },
  GLK008: {
    kind: 'upstream',
    message: 'Glooko answered {what} with HTTP {status}',
    hint: 'usually temporary; gluco-hub retries',
  },
  GLK009: {
    kind: 'upstream',
    message: 'Glooko answered {what} with a body gluco-hub cannot read ({reason})',
    hint: 'usually temporary; if it persists the API changed, report it',
  },
  GLK010: {
    kind: 'network',
    message: 'cannot reach Glooko at {host} ({reason})',
    hint: 'check the network, DNS and CONNECT_GLOOKO_SERVER; gluco-hub retries',
  },
  GLK011: {
    kind: 'auth',
    message: 'Glooko refused the sign-in request itself ({reason})',
    hint: 'set CONNECT_GLOOKO_AUTH_MODE=auto (the default) so gluco-hub falls back to the web sign-in form; if that fails too, report it',
  },
  GLK012: {
    kind: 'upstream',
    message: 'Glooko did not say which patient this account holds (no glookoCode in the sign-in answer or in {what})',
    hint: 'sign in on the Glooko web site once to finish the account set-up; if it persists, report it',
  },
  GLK013: {
    kind: 'config',
    message: 'no usable time zone for Glooko\'s local times: the account says "{zone}"',
    hint: 'set CONNECT_GLOOKO_TIMEZONE to the IANA zone the pump and phone live in, e.g. Europe/Berlin or America/New_York',
  },
  GLK014: {
    kind: 'upstream',
    message: 'Glooko\'s {feed} feed did not move its paging cursor ({cursor}); stopping instead of reading the same page forever',
    hint: 'usually temporary; gluco-hub retries from the last stored reading. If it persists, report it',
  },
  GLK015: {
    kind: 'upstream',
    message: 'Glooko\'s {feed} feed needs more than {pages} pages in one poll',
    hint: 'lower CONNECT_GLOOKO_LOOKBACK_DAYS; gluco-hub retries',
  },
  GLK016: {
    kind: 'transform',
    message: 'a Glooko {feed} answer does not match its expected shape ({where})',
    hint: 'the API changed; report it with `gluco-hub capture` output (it contains diabetes data, not credentials)',
  },
  GLK017: {
    kind: 'transform',
    message: 'a Glooko {feed} record has a time gluco-hub cannot read ("{value}")',
    hint: 'the API changed its time format; report it',
  },
  GLK018: {
    kind: 'config',
    message: 'CONNECT_GLOOKO_TIMEZONE_OFFSET is a fixed offset ({hours} h): times will be an hour off for half the year where clocks change',
    hint: 'set CONNECT_GLOOKO_TIMEZONE to an IANA zone such as Europe/Berlin, or unset both to use the zone of the Glooko account',
  },
} as const satisfies Record<string, ErrorSpec>;

export type GlkCode = keyof typeof GLK_ERRORS;

/** Builds the coded error for `code` from the table. */
export const glkError = errorTable<GlkCode>(GLK_ERRORS);

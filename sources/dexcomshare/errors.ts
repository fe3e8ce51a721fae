import { errorTable, type ErrorSpec } from '../../lib/error-table.js';

/**
 * Every error the Dexcom Share driver throws (or logs), as data: class, message and hint per code.
 * Messages never carry the password, the account id or the session id; a `cause` is built by
 * `responseCause` (status + short, redacted excerpt) or from the vendor's `Code` and `Message`.
 */

const REGION_HINT =
  'a wrong region looks exactly like a wrong password: US accounts use CONNECT_SHARE_REGION=us (uam1.dexcom.com), ' +
  'accounts outside the US use ous (uam2.dexcom.com), Japan uses jp (uam.dexcom.jp)';
const PUBLISHER_HINT = "use the Dexcom account of the person wearing the sensor (the one that shares, not a follower's), as in the Dexcom app";

export const DEX_ERRORS = {
  DEX001: {
    kind: 'config',
    message: 'the Dexcom Share server "{server}" is not a host[:port] or an http(s) URL without a user name or password',
    hint: 'set CONNECT_SHARE_SERVER to e.g. shareous1.dexcom.com or http://127.0.0.1:8080, or remove it and set CONNECT_SHARE_REGION',
  },
  DEX002: {
    kind: 'auth',
    message: 'Dexcom Share refused the account name or password ({reason})',
    hint: `${REGION_HINT}; ${PUBLISHER_HINT}; gluco-hub will not try again until the account name, password, region or server changes`,
  },
  DEX003: {
    kind: 'auth',
    message: 'not logging in: Dexcom Share refused these credentials before',
    hint: `log in at the Dexcom app once with this account (a migrated account must); ${REGION_HINT}; change the configured account name, password, region or server to try again`,
  },
  DEX004: {
    kind: 'auth',
    message: 'Dexcom locked the account after too many failed logins (SSO_AuthenticateMaxAttemptsExceeded)',
    hint: 'stop every app and bridge that logs in with this account, wait, then check the password in the Dexcom app; gluco-hub will not log in for {minutes} min',
  },
  DEX005: {
    kind: 'rate',
    message: 'not logging in for another {seconds} s: {reason}',
    hint: 'gluco-hub logs in again on its own when the wait is over',
  },
  DEX006: {
    kind: 'session',
    message: 'the Dexcom Share session is no longer valid ({reason})',
    hint: 'gluco-hub logs in again on its own (only the second login step)',
  },
  DEX007: {
    kind: 'rate',
    message: 'Dexcom Share answered {what} with the all-zero id, which means the login failed; not logging in for {minutes} min',
    hint: `gluco-hub tries again after the wait; if it persists, check the account in the Dexcom app. ${REGION_HINT}`,
  },
  DEX008: {
    kind: 'config',
    message: 'Dexcom Share says the login request is malformed ({reason})',
    hint: 'check CONNECT_SHARE_ACCOUNT_NAME (a username, an e-mail or a phone number +<country><number>) and that CONNECT_SHARE_PASSWORD is set',
  },
  DEX009: {
    kind: 'upstream',
    message: 'Dexcom Share answered {what} with error {code} ({reason})',
    hint: 'usually temporary; gluco-hub retries. If it persists, report the code',
  },
  DEX010: {
    kind: 'upstream',
    message: 'Dexcom Share answered {what} with HTTP {status}',
    hint: 'usually temporary; gluco-hub retries',
  },
  DEX011: {
    kind: 'rate',
    message: 'Dexcom Share is throttling or refusing requests ({reason}); backing off for {minutes} min',
    hint: 'other apps or bridges on the same account may be polling too often; gluco-hub retries on its own',
  },
  DEX012: {
    kind: 'upstream',
    message: 'Dexcom Share answered {what} with a body gluco-hub cannot read ({reason})',
    hint: 'usually temporary; if it persists the API changed, report it',
  },
  DEX013: {
    kind: 'network',
    message: 'cannot reach Dexcom Share at {host} ({reason})',
    hint: 'check the network, DNS and CONNECT_SHARE_SERVER; gluco-hub retries',
  },
  DEX014: {
    kind: 'transform',
    message: 'a Dexcom Share reading does not match its expected shape ({where})',
    hint: 'the API changed; report it with `gluco-hub capture` output (it contains glucose data, not credentials)',
  },
  DEX015: {
    kind: 'transform',
    message: 'a Dexcom Share reading has a time gluco-hub cannot read ("{value}")',
    hint: 'the API changed its time format; report it',
  },
  DEX016: {
    kind: 'upstream',
    message: 'Dexcom Share has returned no readings for {hours} h',
    hint: 'check in the Dexcom app that Share is on and at least one follower has accepted the invitation; Share returns nothing without a follower',
  },
  DEX017: {
    kind: 'auth',
    message: 'Dexcom Share: password refused or account migrated (AccountPasswordInvalid) — log in at the Dexcom app once',
    hint: `open the Dexcom app and log in once with this account: a migrated account must sign in there before Share accepts it again, and if the app refuses the password too, fix it here; ${REGION_HINT}; ${PUBLISHER_HINT}; gluco-hub will not try again until the account name, password, region or server changes`,
  },
} as const satisfies Record<string, ErrorSpec>;

export type DexCode = keyof typeof DEX_ERRORS;

/** Builds the coded error for `code` from the table. */
export const dexError = errorTable<DexCode>(DEX_ERRORS);

import { errorTable, type ErrorSpec } from '../../lib/error-table.js';

/**
 * Every error the Medtronic CareLink driver and `gluco-hub login carelink` throw, as data.
 * Messages never carry a token, the authorization code or the PKCE verifier; a `cause` is built
 * by `responseCause` (status + short excerpt with token fields masked).
 */

const LOGIN_AGAIN = 'run `gluco-hub login carelink` again';
const ONE_LOGIN =
  'logging the same CareLink account in anywhere else (the CareLink app, another bridge, xDrip) revokes these tokens: give gluco-hub a dedicated care-partner account';

export const CL_ERRORS = {
  CL001: {
    kind: 'config',
    message: 'the CareLink server "{server}" is not a host[:port] or an http(s) URL without a user name or password',
    hint: 'set CONNECT_CARELINK_SERVER to e.g. http://127.0.0.1:8080 (a proxy or test server), or remove it and set CONNECT_CARELINK_REGION',
  },
  CL002: {
    kind: 'config',
    message: 'CareLink no longer accepts a username and password from a bridge (CONNECT_CARELINK_PASSWORD or MMCONNECT_PASSWORD is set)',
    hint: 'since 2026 CareLink logs in through its web page only: run `gluco-hub login carelink` once (it saves tokens under the state directory), then remove the password setting',
  },
  CL003: {
    kind: 'auth',
    message: 'there is no saved CareLink login for this bridge yet',
    hint: 'run `gluco-hub login carelink` once with the same configuration (or `gluco-hub login carelink --import logindata.json`); the bridge picks the login up on its next poll',
  },
  CL004: {
    kind: 'auth',
    message: 'CareLink no longer accepts the saved login ({reason})',
    hint: `${LOGIN_AGAIN}; ${ONE_LOGIN}. gluco-hub makes no further CareLink requests until then`,
  },
  CL005: {
    kind: 'config',
    message: 'cannot tell which CareLink region to use',
    hint: 'set CONNECT_CARELINK_REGION to us or eu, or CONNECT_COUNTRY_CODE to the account\'s country (e.g. gb, de, us)',
  },
  CL006: {
    kind: 'config',
    message: 'CareLink does not list the country code "{value}"',
    hint: 'set CONNECT_COUNTRY_CODE to the two-letter ISO code of the account\'s country (e.g. gb, de, us), or set CONNECT_CARELINK_REGION to us or eu instead',
  },
  CL007: {
    kind: 'config',
    message: 'the saved CareLink login is for region {saved}, but the configuration says {configured}',
    hint: `fix CONNECT_CARELINK_REGION / CONNECT_COUNTRY_CODE, or ${LOGIN_AGAIN} for the configured region`,
  },
  CL008: {
    kind: 'upstream',
    message: 'the CareLink discovery document has no usable {what} for region {region}',
    hint: 'the CareLink API changed; update gluco-hub or report it',
  },
  CL009: {
    kind: 'config',
    message: 'the pasted text is not a CareLink redirect ({reason})',
    hint: 'paste the whole address the browser was sent to after the login (it starts with com.medtronic.carepartner:/sso?code=), or just the code; run `gluco-hub login carelink` again to get a fresh link',
  },
  CL010: {
    kind: 'auth',
    message: 'CareLink refused the authorization code ({reason})',
    hint: 'codes are single-use and expire within minutes: run `gluco-hub login carelink` again and paste the new redirect promptly',
  },
  CL011: {
    kind: 'config',
    message: 'cannot import {file}: {reason}',
    hint: 'give the logindata.json written by an Auth0-era CareLink client (access_token, refresh_token, client_id, token_url), or run `gluco-hub login carelink` without --import',
  },
  CL012: {
    kind: 'config',
    message: '{file} is an old (MAG-era) CareLink login file; those tokens stopped working in January 2026',
    hint: 'run `gluco-hub login carelink` to log in with the current CareLink login',
  },
  CL013: {
    kind: 'config',
    message: 'the CareLink care-partner account is linked to no patient',
    hint: 'the patient invites this account as a care partner in the MiniMed / Simplera app (or on CareLink); accept the invitation, then restart',
  },
  CL014: {
    kind: 'config',
    message: 'the CareLink care-partner account follows several patients; gluco-hub will not guess: {patients}',
    hint: 'set CONNECT_CARELINK_PATIENT_USERNAME to one of them',
  },
  CL015: {
    kind: 'config',
    message: 'the CareLink care-partner account does not follow "{pinned}"; it follows: {patients}',
    hint: 'fix CONNECT_CARELINK_PATIENT_USERNAME, or accept the patient\'s invitation',
  },
  CL016: {
    kind: 'auth',
    message: 'CareLink refused {what} even with a fresh access token (HTTP {status})',
    hint: 'the care-partner link may have been removed or the account lost access; check it in the CareLink app. gluco-hub tries again later',
  },
  CL017: {
    kind: 'rate',
    message: 'CareLink asked gluco-hub to slow down ({what}, HTTP 429); waiting {seconds} s',
    hint: 'other clients on the same account may be polling too often; gluco-hub resumes on its own',
  },
  CL018: {
    kind: 'upstream',
    message: 'CareLink answered {what} with HTTP {status}',
    hint: 'usually temporary (CareLink has outages); gluco-hub retries',
  },
  CL019: {
    kind: 'upstream',
    message: 'CareLink answered {what} with a body gluco-hub cannot read ({reason})',
    hint: 'usually temporary; if it persists the API changed, report it',
  },
  CL020: {
    kind: 'network',
    message: 'cannot reach CareLink at {host} ({reason})',
    hint: 'check the network, DNS and CONNECT_CARELINK_SERVER; gluco-hub retries',
  },
  CL021: {
    kind: 'transform',
    message: 'the CareLink data does not match its expected shape ({where})',
    hint: 'the API changed; report it with `gluco-hub capture` output (it contains glucose data, not credentials)',
  },
  CL022: {
    kind: 'transform',
    message: 'the CareLink data has a time gluco-hub cannot read ("{value}")',
    hint: 'the API changed its time format; report it with `gluco-hub capture` output',
  },
  CL023: {
    kind: 'config',
    message: '{reason}',
    hint: 'run `gluco-hub login carelink --help`',
  },
  CL024: {
    kind: 'auth',
    message: 'another gluco-hub process owns this CareLink login and its access token has run out; refreshing it here would revoke that process\'s login',
    hint: 'run capture again once the running bridge has refreshed it (within minutes), or stop the bridge first',
  },
  CL025: {
    kind: 'config',
    message: 'following several patients needs a CareLink care-partner account; this one is a patient account ({role})',
    hint: 'log in with `gluco-hub login carelink` as the care partner the patients invited, or unset CONNECT_CARELINK_PATIENT_USERNAME=all / patients',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ClCode = keyof typeof CL_ERRORS;

/** Builds the coded error for `code` from the table. */
export const clError = errorTable<ClCode>(CL_ERRORS);

export { LOGIN_AGAIN, ONE_LOGIN };

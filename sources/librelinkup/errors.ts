import { errorTable, type ErrorSpec } from '../../lib/error-table.js';

/**
 * Every error the LibreLink Up driver throws, as data: class, message and hint per code.
 * Messages never carry the password, the token or request headers; a `cause` is built by
 * `responseCause` (status + short, redacted excerpt).
 */

const REGIONS_HINT = 'use one of US, EU, EU2, DE, FR, CA, AU, AP, AE, JP, LA, RU, CN (UK/GB = EU2)';
const FOLLOWER_HINT =
  'log in to the LibreLinkUp app (not LibreView) with the follower account and check its e-mail and password; ' +
  'RU and CN accounts must set their region, other hosts refuse them as bad credentials';

export const LLU_ERRORS = {
  LLU001: { kind: 'config', message: 'unknown LibreLink Up region "{region}"', hint: `set CONNECT_LINK_UP_REGION: ${REGIONS_HINT}` },
  LLU002: {
    kind: 'config',
    message: 'the LibreLink Up server "{server}" is not a host[:port] or an http(s) URL without a user name or password',
    hint: 'set CONNECT_LINK_UP_SERVER to e.g. api-eu.libreview.io or http://127.0.0.1:8080, or remove it',
  },
  LLU003: { kind: 'auth', message: 'LibreLink Up refused the username or password ({reason})', hint: `${FOLLOWER_HINT}; gluco-hub will not try again until the username, password or region changes` },
  LLU004: {
    kind: 'auth',
    message: 'not logging in: LibreLink Up refused these credentials before',
    hint: `${FOLLOWER_HINT}; change the configured username, password or region to try again`,
  },
  LLU005: {
    kind: 'rate',
    message: 'LibreLink Up locked the account after failed logins for {seconds} s',
    hint: 'wait, then check the password; every failed login extends the lock',
  },
  LLU006: {
    kind: 'rate',
    message: 'not logging in for another {seconds} s: LibreLink Up asked us to wait ({reason})',
    hint: 'gluco-hub logs in again on its own when the wait is over',
  },
  LLU007: {
    kind: 'rate',
    message: 'LibreLink Up is throttling or blocking requests ({reason}); backing off for {minutes} min',
    hint: 'other clients on the same account or IP may be polling too often; gluco-hub retries on its own',
  },
  LLU008: {
    kind: 'auth',
    message: 'LibreLink Up wants new {document} accepted: accept the new terms in the LibreLinkUp app',
    hint: 'open the LibreLinkUp app with the follower account and accept, or set CONNECT_LINK_UP_ACCEPT_TERMS=true to let gluco-hub accept them for you',
  },
  LLU009: {
    kind: 'auth',
    message: 'LibreLink Up wants the e-mail address of the follower account verified',
    hint: 'open the verification e-mail from LibreLinkUp (or the app) and confirm the address, then restart',
  },
  LLU010: {
    kind: 'auth',
    message: 'LibreLink Up asks for an action gluco-hub cannot do ({step})',
    hint: 'open the LibreLinkUp app with the follower account and complete what it asks',
  },
  LLU011: {
    kind: 'config',
    message: 'LibreLink Up redirected the login to an unknown region "{region}"',
    hint: `set CONNECT_LINK_UP_REGION to the account's region: ${REGIONS_HINT}`,
  },
  LLU012: {
    kind: 'config',
    message: 'LibreLink Up redirected the login to {region} again (a redirect loop)',
    hint: "set CONNECT_LINK_UP_REGION to the account's region",
  },
  LLU013: {
    kind: 'config',
    message: 'LibreLink Up redirected the login more than {max} times (last: {region})',
    hint: 'set CONNECT_LINK_UP_REGION to {region}',
  },
  LLU014: {
    kind: 'config',
    message: 'LibreLink Up says this is the wrong regional server for the account (status 911)',
    hint: "set CONNECT_LINK_UP_REGION to the account's region",
  },
  LLU015: {
    kind: 'config',
    message: 'the LibreLinkUp version header is outdated; set CONNECT_LINK_UP_VERSION to the current app version (HTTP 403, sent {version})',
    hint: 'look up the current LibreLinkUp app version in the app store and set CONNECT_LINK_UP_VERSION to it',
  },
  LLU016: {
    kind: 'upstream',
    message: 'LibreLink Up wants a request header gluco-hub did not send (RequiredHeaderMissing)',
    hint: 'the API changed; update gluco-hub or report this with the LibreLinkUp app version',
  },
  LLU017: {
    kind: 'session',
    message: 'the LibreLink Up session is no longer valid ({reason})',
    hint: 'gluco-hub logs in again on its own',
  },
  LLU018: {
    kind: 'config',
    message: 'the LibreLink Up account follows nobody',
    hint: 'accept the invitation in the LibreLinkUp app: the patient invites this follower account from the FreeStyle Libre app (Connected apps → LibreLinkUp)',
  },
  LLU019: {
    kind: 'config',
    message: 'the LibreLink Up account follows several people; gluco-hub will not guess: {patients}',
    hint: 'set CONNECT_LINK_UP_PATIENT_ID or CONNECT_LINK_UP_PATIENT_NAME to one of them',
  },
  LLU020: {
    kind: 'config',
    message: 'the LibreLink Up account does not follow {pinned}; it follows: {patients}',
    hint: 'fix CONNECT_LINK_UP_PATIENT_ID / CONNECT_LINK_UP_PATIENT_NAME, or accept the invitation in the LibreLinkUp app',
  },
  LLU021: {
    kind: 'config',
    message: 'LibreLink Up cannot load patient {patientId} ({reason})',
    hint: 'the account may no longer follow this patient; check the connections in the LibreLinkUp app',
  },
  LLU022: {
    kind: 'upstream',
    message: 'LibreLink Up answered {what} with HTTP {status}',
    hint: 'usually temporary; gluco-hub retries',
  },
  LLU023: {
    kind: 'upstream',
    message: 'LibreLink Up answered {what} with a body gluco-hub cannot read ({reason})',
    hint: 'usually temporary; if it persists the API changed, report it',
  },
  LLU024: {
    kind: 'upstream',
    message: 'LibreLink Up answered {what} with status {status} ({reason})',
    hint: 'usually temporary; if it persists, report it',
  },
  LLU025: {
    kind: 'network',
    message: 'cannot reach LibreLink Up at {host} ({reason})',
    hint: 'check the network, DNS and CONNECT_LINK_UP_SERVER; gluco-hub retries',
  },
  LLU026: {
    kind: 'transform',
    message: 'the LibreLink Up graph does not match its expected shape ({where})',
    hint: 'the API changed; report it with `gluco-hub capture` output (it contains glucose data, not credentials)',
  },
  LLU027: {
    kind: 'transform',
    message: 'the LibreLink Up graph has a timestamp gluco-hub cannot read ("{value}")',
    hint: 'the API changed its time format; report it',
  },
  LLU028: {
    kind: 'rate',
    message: 'LibreLink Up requires app version {minimum} or newer (this bridge sends {version}): set CONNECT_LINK_UP_VERSION={minimum}',
    hint: 'or `version: "{minimum}"` in the config file\'s source section, then restart; until then gluco-hub asks again only once an hour (next in {minutes} min), across restarts',
  },
} as const satisfies Record<string, ErrorSpec>;

export type LluCode = keyof typeof LLU_ERRORS;

/** Builds the coded error for `code` from the table. */
export const lluError = errorTable<LluCode>(LLU_ERRORS);

import { errorTable, type ErrorSpec } from '../error-table.js';

/**
 * Errors of talking to a Nightscout site, whichever side it is on: `{site}` names it (the target
 * of the Nightscout output, or a Nightscout source) and `{tokenVar}` / `{secretVar}` the settings
 * to fix. Messages explain what Nightscout's bare 401/403 means.
 */
export const NS_ERRORS = {
  NS001: {
    kind: 'config',
    message: '{site} needs credentials: neither an access token nor an API secret is given (writing always needs one; reading needs one unless the site is public)',
    hint: 'set {tokenVar} (an access token from Admin Tools, for API v3) or {secretVar} (the plain API_SECRET, API v1)',
  },
  NS002: {
    kind: 'auth',
    message: '{site} does not accept the API secret (HTTP 401): this looks like the hashed secret; give the plain secret',
    hint: 'set {secretVar} to the API_SECRET exactly as configured on the Nightscout server (gluco-hub hashes it itself)',
  },
  NS003: {
    kind: 'auth',
    message: '{site} does not accept the API secret (HTTP 401)',
    hint: 'set {secretVar} to the API_SECRET configured on the Nightscout server (at least 12 characters), not a token',
  },
  NS004: {
    kind: 'auth',
    message: '{site} does not know this access token (HTTP 401 from /api/v2/authorization/request){looks}',
    hint: 'create a subject in Nightscout Admin Tools and set {tokenVar} to its access token (name-0123456789abcdef); an API secret belongs in {secretVar}',
  },
  NS005: {
    kind: 'auth',
    message: '{site}: this token lacks the permission {permission} (HTTP 403)',
    hint: 'give the subject a role with {permissions} in Admin Tools (or the admin role)',
  },
  NS006: {
    kind: 'auth',
    message: '{site} refused the credentials on {what} (HTTP 401: {reason})',
    hint: 'check {tokenVar} / {secretVar}; a Nightscout that was reinstalled needs no change, one whose API_SECRET changed does',
  },
  NS007: {
    kind: 'upstream',
    message: '{site} answered {what} with HTTP {status}{reason}',
    hint: 'usually temporary; gluco-hub retries',
  },
  NS008: {
    kind: 'upstream',
    message: '{site} answered {what} with a body gluco-hub cannot read ({reason})',
    hint: 'is the URL a Nightscout site? A proxy or login page in front of it answers HTML',
  },
  NS009: {
    kind: 'network',
    message: 'cannot reach {site} at {host} ({reason})',
    hint: 'check the URL, the network and DNS; gluco-hub retries',
  },
  NS010: {
    kind: 'config',
    message: '{site} has no API v3 (HTTP {status} on /api/v3/version) and API v3 was asked for',
    hint: 'update Nightscout to 14.2 or newer, or set the API to v1 (with {secretVar})',
  },
  NS011: {
    kind: 'config',
    message: '{site} is answered by a redirect to {location} (HTTP {status})',
    hint: 'use the final URL (often https:// instead of http://) in the setting',
  },
  NS012: {
    kind: 'upstream',
    message: '{site} rejected {what} (HTTP {status}: {reason})',
    hint: 'the document is kept out of this output; if it repeats, report it with the message',
  },
  NS013: {
    kind: 'transform',
    message: '{site}: a {collection} document is not a valid Nightscout document ({reason})',
    hint: 'the document is kept out of this output; a bug in the source: report it with the message',
  },
  NS014: {
    kind: 'upstream',
    message:
      '{site} already has {collection} documents that another uploader wrote, with a different {field} (HTTP 400: Field {field} cannot be modified by the client)',
    hint: 'nothing is lost: gluco-hub counts them as already stored and does not retry them; if another app uploads the same readings, one uploader is enough',
  },
  NS015: {
    kind: 'config',
    message: '{site}: API v3 was asked for, but no access token is given (API v3 takes only access tokens, never the API secret)',
    hint: 'set {tokenVar} to an access token from Admin Tools, or let gluco-hub choose the API (unset the API setting) to use API v1 with {secretVar}',
  },
  NS016: {
    kind: 'rate',
    message: '{site} asked gluco-hub to slow down on {what} (HTTP {status}, Retry-After {seconds} s)',
    hint: 'gluco-hub waits as long as asked, then goes on by itself; if it repeats, another client may be polling the site too often or the server is overloaded',
  },
  NS017: {
    kind: 'config',
    message: '{site} is reached over plain http:// at {host}: {what} unencrypted, for anyone on the way to read{reuse}',
    hint: "use the site's https:// address; plain http:// is fine only to this machine (localhost)",
  },
} as const satisfies Record<string, ErrorSpec>;

export type NsCode = keyof typeof NS_ERRORS;

export const nsError = errorTable<NsCode>(NS_ERRORS);

import { errorTable, type ErrorSpec } from '../../lib/error-table.js';

/**
 * What can go wrong reading another Nightscout that the shared client core (NS codes: auth,
 * transport, 5xx, non-JSON bodies) does not already explain. Messages name the collection and
 * the request, never credentials; a `cause` is built by `responseCause` (status + redacted excerpt).
 */
export const NSS_ERRORS = {
  NSS001: {
    kind: 'transform',
    message: 'the source Nightscout answered {what} with JSON gluco-hub cannot read as {collection} ({reason})',
    hint: 'check that CONNECT_SOURCE_ENDPOINT is the base URL of the Nightscout site (no /api/… path); if it is, report this with `gluco-hub capture --out DIR` output',
  },
  NSS002: {
    kind: 'upstream',
    message: 'the source Nightscout refused {what} (HTTP {status}: {reason})',
    hint: 'check that CONNECT_SOURCE_ENDPOINT is the base URL of the Nightscout site; a 400 about "limit" means the server sets API3_MAX_LIMIT below {limit}',
  },
  NSS003: {
    kind: 'transform',
    message: 'cannot page through {what}: {reason}',
    hint: 'the source Nightscout does not filter or sort as expected; report this with the Nightscout version',
  },
  NSS004: {
    kind: 'transform',
    message: 'skipped {count} {collection} document(s) that are not valid Nightscout documents ({reasons})',
    hint: 'the rest of the batch was copied; fix or delete those documents on the source Nightscout if they matter',
  },
  NSS005: {
    kind: 'transform',
    message: 'copied {count} {collection} document(s) without field(s) gluco-hub cannot read ({fields})',
    hint: 'the readings themselves were kept; the uploader of the source Nightscout writes these fields in an unusual form',
  },
} as const satisfies Record<string, ErrorSpec>;

export type NssCode = keyof typeof NSS_ERRORS;

/** Builds the coded error for `code` from the table. */
export const nssError = errorTable<NssCode>(NSS_ERRORS);

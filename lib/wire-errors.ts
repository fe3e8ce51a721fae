import { errorTable, type ErrorSpec } from './error-table.js';

/**
 * Errors of the one HTTP choke point (lib/wire.ts), the same for every vendor and Nightscout:
 * `{host}` says who, `{what}` which call. Both are retried like any other upstream fault.
 */
export const WIRE_ERRORS = {
  WIRE001: {
    kind: 'upstream',
    message: '{host} answered {what} with more than {limit}; the answer was cut off unread',
    hint: 'retried like any other fault of the server; if it persists, check that the configured server is the real one (not a proxy or a captive portal) and report it',
  },
  WIRE002: {
    kind: 'upstream',
    message: '{what} to {host} would send more than {limit}; not sent',
    hint: 'a bug: report it with the log line',
  },
} as const satisfies Record<string, ErrorSpec>;

export type WireCode = keyof typeof WIRE_ERRORS;

export const wireError = errorTable<WireCode>(WIRE_ERRORS);

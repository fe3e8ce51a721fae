import { errorTable, type ErrorSpec } from '../../lib/error-table.js';

/** Start-up errors of the HTTP API: the person must change `GLUCO_HUB__HTTP__BIND` / `--http`. */
export type HttpStartCode = 'HTTP001' | 'HTTP002';

export const HTTP_START_ERRORS: Record<HttpStartCode, ErrorSpec> = {
  HTTP001: {
    kind: 'config',
    message: 'cannot listen on {bind} for the HTTP API: the port is already in use',
    hint: 'stop the other program (or the other gluco-hub), or choose another port with GLUCO_HUB__HTTP__BIND or --http host:port; GLUCO_HUB__HTTP__ENABLED=false turns the HTTP API off',
  },
  HTTP002: {
    kind: 'config',
    message: 'cannot listen on {bind} for the HTTP API ({reason})',
    hint: 'set GLUCO_HUB__HTTP__BIND or --http to an address of this machine and a free port (ports below 1024 need privileges), or GLUCO_HUB__HTTP__ENABLED=false',
  },
};

export const httpStartError = errorTable<HttpStartCode>(HTTP_START_ERRORS);

/** What a request can be refused with: the JSON body `{ code, message }` and its status. */
export type HttpResponseCode = 'HTTP003' | 'HTTP004' | 'HTTP005' | 'HTTP006' | 'HTTP007' | 'HTTP008' | 'HTTP009' | 'HTTP010' | 'HTTP011' | 'HTTP012';

export const HTTP_RESPONSE_ERRORS: Record<HttpResponseCode, { status: number; message: string }> = {
  HTTP003: { status: 503, message: 'no reading yet: no bridge has delivered one in the last 24 hours' },
  HTTP004: { status: 400, message: 'bad query parameter' },
  HTTP005: { status: 401, message: 'this endpoint needs Authorization: Bearer <token> (GLUCO_HUB__HTTP__BEARER_TOKEN)' },
  HTTP006: { status: 404, message: 'no such endpoint; try /, /glucose/latest, /glucose?count=N, /healthz, /readyz or /metrics' },
  HTTP007: { status: 405, message: 'method not allowed' },
  HTTP008: { status: 503, message: 'not ready: a bridge has no session or no recent successful cycle' },
  HTTP009: { status: 500, message: 'internal error while answering; see the log' },
  HTTP010: { status: 400, message: 'bad request: the request line, its path or a header cannot be read' },
  HTTP011: { status: 431, message: 'request headers too large' },
  HTTP012: { status: 408, message: 'the request did not arrive in time' },
};

/**
 * Said once at start-up when the API listens beyond this machine without a bearer token: the
 * status page and `/glucose*` then show a person's glucose to anyone who can reach the port.
 */
export const HTTP_OPEN_BIND_WARNING = {
  code: 'HTTP013',
  message: (address: string): string =>
    `[HTTP013] the HTTP API listens on ${address}, beyond this machine, without a bearer token: anyone who can reach the port sees the glucose readings and the status page (health data on the network). ` +
    'Set GLUCO_HUB__HTTP__BEARER_TOKEN (or …_FILE), or bind to 127.0.0.1 with GLUCO_HUB__HTTP__BIND',
} as const;

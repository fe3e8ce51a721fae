import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import { GlucoHubError } from './errors.js';
import { stderrStatusLine } from './terminal-status.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  /** `auto`: pretty on a terminal, JSON otherwise. */
  format: 'auto' | 'json' | 'pretty';
  /** Defaults to stderr, so `capture --json` can own stdout. */
  destination?: DestinationStream;
  /** Whether the destination is a terminal (for `auto`). */
  isTTY?: boolean;
}

/**
 * Keys that hold credentials wherever they appear in a log object. Secret values also mask
 * themselves (lib/secret.ts); this catches plain strings that slipped through (vendor bodies, headers).
 */
const REDACT_PATHS = [
  'password',
  'apiSecret',
  'token',
  'ticket',
  'authorization',
  '*.password',
  '*.apiSecret',
  '*.token',
  '*.ticket',
  '*.authorization',
  '*.*.password',
  '*.*.token',
  'headers["api-secret"]',
  '*.headers["api-secret"]',
  '*.headers.authorization',
  '*.headers.cookie',
];

/**
 * Errors are logged as code + message (+ cause's message). A coded error is an expected failure
 * and gets no stack; an unexpected one keeps its stack for the bug report. Never the raw object:
 * HTTP client errors carry request headers with credentials.
 */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const out: Record<string, unknown> = { type: err.name, message: err.message };
  if (err instanceof GlucoHubError) out.code = err.code;
  else if (err.stack) out.stack = err.stack;
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) out.cause = cause.message;
  // The fix is what the person reading the log needs; a wrapper (HUB004) passes on its cause's.
  const hint = (err instanceof GlucoHubError ? err.hint : undefined) ?? (cause instanceof GlucoHubError ? cause.hint : undefined);
  if (hint) out.hint = hint;
  return out;
}

/** Whether the log is for a person (pretty) rather than a machine (JSON lines). */
export function isPrettyLog(format: LoggerOptions['format'], isTTY: boolean | undefined = process.stderr.isTTY): boolean {
  return format === 'pretty' || (format === 'auto' && isTTY === true);
}

/**
 * Fields a pretty line leaves out: the bridge and loop lead the message instead, and a frame's counts are
 * already in its words. JSON lines keep them all.
 */
const PRETTY_HIDDEN = 'pid,hostname,bridge,source,loop,outcome,fetched,stored,duplicates';

/** `[alice] entries: 1 new …`: which bridge and loop a line is about, where the hidden fields no longer say it. */
export function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  let msg = typeof log[messageKey] === 'string' ? log[messageKey] : '';
  if (typeof log.loop === 'string' && !msg.startsWith(`${log.loop}:`)) msg = `${log.loop}: ${msg}`;
  return typeof log.bridge === 'string' ? `[${log.bridge}] ${msg}` : msg;
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = isPrettyLog(options.format, options.isTTY ?? process.stderr.isTTY);
  const pinoOptions = {
    level: options.level,
    base: undefined,
    redact: { paths: REDACT_PATHS, censor: '***' },
    serializers: { err: serializeError, error: serializeError },
  };
  if (pretty && !options.destination) {
    // Loaded only for terminals; `sync` so the last lines before exit are never lost.
    const require = createRequire(import.meta.url);
    const { prettyFactory } = require('pino-pretty') as { prettyFactory: (o: Record<string, unknown>) => (line: string) => string };
    // One line per event (a frame's used to take eight), errors included; times in the local zone.
    const format = prettyFactory({ colorize: true, singleLine: true, errorLikeObjectKeys: [], ignore: PRETTY_HIDDEN, messageFormat: prettyMessage, translateTime: 'SYS:HH:MM:ss' });
    // Formatted here and written at once (never lost before exit), above a back-fill's progress line.
    const status = stderrStatusLine();
    return pino(pinoOptions, { write: (line: string) => status.log(format(line)) });
  }
  return pino(pinoOptions, options.destination ?? pino.destination({ dest: 2, sync: true }));
}

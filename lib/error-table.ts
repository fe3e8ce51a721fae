import {
  AuthError,
  ConfigError,
  NetworkError,
  RateLimitError,
  SessionExpiredError,
  StorageError,
  TransformError,
  UpstreamError,
  type ErrorDetails,
  type GlucoHubError,
} from './errors.js';

/**
 * A part's errors as data — class, message and hint per code — so every code is listed in one
 * place (and in docs/errors.md). `{name}` placeholders are filled from `params`.
 */

export type ErrorClass = 'config' | 'auth' | 'session' | 'rate' | 'upstream' | 'network' | 'transform' | 'storage';

export interface ErrorSpec {
  kind: ErrorClass;
  message: string;
  hint: string;
}

export interface TableErrorOptions {
  params?: Record<string, string | number>;
  cause?: unknown;
  /** RateLimitError only. */
  retryAfterMs?: number;
  /** UpstreamError only. */
  status?: number;
}

type Builder = (code: string, message: string, details: ErrorDetails, options: TableErrorOptions) => GlucoHubError;

const BUILD: Record<ErrorClass, Builder> = {
  config: (code, message, details) => new ConfigError(code, message, details),
  auth: (code, message, details) => new AuthError(code, message, details),
  session: (code, message, details) => new SessionExpiredError(code, message, details),
  rate: (code, message, details, options) => new RateLimitError(code, message, options.retryAfterMs ?? 0, details),
  upstream: (code, message, details, options) => new UpstreamError(code, message, options.status, details),
  network: (code, message, details) => new NetworkError(code, message, details),
  transform: (code, message, details) => new TransformError(code, message, details),
  storage: (code, message, details) => new StorageError(code, message, details),
};

function fill(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in params ? String(params[key]) : whole));
}

/** A builder for the coded errors of `table`. */
export function errorTable<Code extends string>(table: Record<Code, ErrorSpec>): (code: Code, options?: TableErrorOptions) => GlucoHubError {
  return (code, options = {}) => {
    const spec = table[code];
    const params = options.params ?? {};
    const details = { hint: fill(spec.hint, params), cause: options.cause };
    return BUILD[spec.kind](code, fill(spec.message, params), details, options);
  };
}

/**
 * A few error classes with stable codes (`[LLU003] invalid credentials`), each with `cause`.
 * The code prefix names the part: CFG config, SRC source registry, SIM simulator, LLU, DEX,
 * NSS (Nightscout source), GLK, CL, NS (Nightscout output), MQTT, DLQ, FS, HTTP.
 */
export interface ErrorDetails {
  cause?: unknown;
  /** What the person should do about it, printed after the message. */
  hint?: string;
}

export class GlucoHubError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(`[${code}] ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = details.hint;
  }

  /** One line for a person: message and fix, no stack. */
  toUserLine(): string {
    return this.hint ? `${this.message} — ${this.hint}` : this.message;
  }
}

/** The configuration is wrong; a person must change it. Exit code 2 at start-up. */
export class ConfigError extends GlucoHubError {}

/** Credentials were refused. Do not retry until a person changes something. */
export class AuthError extends GlucoHubError {}

/** The session the vendor gave us is no longer valid (HTTP 401 on a data call): log in again once. */
export class SessionExpiredError extends GlucoHubError {}

/** The vendor asked us to slow down; `retryAfterMs` says for how long. */
export class RateLimitError extends GlucoHubError {
  readonly retryAfterMs: number;
  constructor(code: string, message: string, retryAfterMs: number, details: ErrorDetails = {}) {
    super(code, message, details);
    this.retryAfterMs = retryAfterMs;
  }
}

/** The vendor or output answered with an error status or a body we cannot use. */
export class UpstreamError extends GlucoHubError {
  readonly status: number | undefined;
  constructor(code: string, message: string, status?: number, details: ErrorDetails = {}) {
    super(code, message, details);
    this.status = status;
  }
}

/** The request never got an answer: DNS, refused, reset, timeout. */
export class NetworkError extends GlucoHubError {}

/** Vendor data we could not turn into Nightscout documents; retrying the same data will not help. */
export class TransformError extends GlucoHubError {}

/** A local resource (data directory, state file) is unusable. */
export class StorageError extends GlucoHubError {}

export type Decision =
  | { action: 'retry' }
  | { action: 'reauthenticate' }
  | { action: 'wait'; untilMs: number }
  | { action: 'stop' };

/**
 * The one place that decides what an error means for the next attempt.
 * Unknown errors are retried: a bridge that gives up on a surprise loses readings.
 */
export function classify(error: unknown, nowMs: number): Decision {
  if (error instanceof ConfigError || error instanceof AuthError) return { action: 'stop' };
  if (error instanceof TransformError) return { action: 'stop' };
  if (error instanceof SessionExpiredError) return { action: 'reauthenticate' };
  if (error instanceof RateLimitError) return { action: 'wait', untilMs: nowMs + Math.max(0, error.retryAfterMs) };
  if (error instanceof UpstreamError && error.status !== undefined) {
    if (error.status === 401) return { action: 'reauthenticate' };
    if (error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429) {
      return { action: 'stop' };
    }
  }
  return { action: 'retry' };
}

export function errorCode(error: unknown): string | undefined {
  return error instanceof GlucoHubError ? error.code : undefined;
}

/** A short, secret-free description for logs and status: code + message, never the stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

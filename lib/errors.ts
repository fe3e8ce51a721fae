/**
 * A few error classes with stable codes (`[LLU003] invalid credentials`), each with `cause`.
 * The code prefix names the part: CLI the command line, CFG config, SIM simulator, LLU, DEX,
 * NSS (Nightscout source), GLK, CL, NS (Nightscout output), NSI (inside Nightscout), MQTT, DLQ, FS, HTTP,
 * EXP (export and report),
 * DOCKER (the container image).
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

/** A fleet's shared state or leases (Redis): a write fenced off by a newer owner, Redis out of reach. */
export class FleetError extends GlucoHubError {}

export type Decision =
  | { action: 'retry' }
  | { action: 'reauthenticate' }
  | { action: 'wait'; untilMs: number }
  | { action: 'stop' };

/**
 * No wait a vendor asks for is honoured longer than this. A bogus `Retry-After` (days, a year)
 * would otherwise silence the bridge for weeks (up to Node's timer limit) and lose every reading;
 * coming back after the cap costs the vendor one request, which answers with the wait again.
 */
export const MAX_WAIT_MS = 6 * 60 * 60_000;

/** The HTTP status an upstream error carries, if any. */
function statusOf(error: unknown): number | undefined {
  return error instanceof UpstreamError ? error.status : undefined;
}

function isClientError(status: number | undefined): boolean {
  return status !== undefined && status >= 400 && status < 500;
}

const STOP: Decision = { action: 'stop' };
const REAUTHENTICATE: Decision = { action: 'reauthenticate' };
const RETRY: Decision = { action: 'retry' };

export interface RetryRule {
  /** Why, for readers and the tests' table. */
  reason: string;
  matches: (error: unknown) => boolean;
  decide: (error: unknown, nowMs: number) => Decision;
}

/**
 * What each kind of error means for the next attempt, as data: the first matching rule wins, and
 * an error no rule matches is retried — a bridge that gives up on a surprise loses readings. How
 * long a retry waits is not decided here: the loop's `BackoffPolicy` (exponential, equal jitter,
 * capped) inside a frame and between failed frames (machines.md), every delay through `clampDelay`.
 */
export const RETRY_RULES: readonly RetryRule[] = [
  { reason: 'a person must change the configuration or credentials', matches: (e) => e instanceof ConfigError || e instanceof AuthError, decide: () => STOP },
  { reason: 'the same vendor answer fails the same way again', matches: (e) => e instanceof TransformError, decide: () => STOP },
  { reason: 'the session is gone: log in again once', matches: (e) => e instanceof SessionExpiredError || statusOf(e) === 401, decide: () => REAUTHENTICATE },
  {
    reason: 'the vendor said when to come back (Retry-After, lockout): not before then, and never longer than MAX_WAIT_MS',
    matches: (e) => e instanceof RateLimitError,
    decide: (e, nowMs) => ({ action: 'wait', untilMs: nowMs + Math.min(MAX_WAIT_MS, Math.max(0, (e as RateLimitError).retryAfterMs)) }),
  },
  {
    reason: 'a 4xx other than 408/429 is refused as asked; asking again changes nothing',
    matches: (e) => isClientError(statusOf(e)) && statusOf(e) !== 408 && statusOf(e) !== 429,
    decide: () => STOP,
  },
];

/** The one place that decides what an error means for the next attempt (`RETRY_RULES`). */
export function classify(error: unknown, nowMs: number): Decision {
  const rule = RETRY_RULES.find((r) => r.matches(error));
  return rule ? rule.decide(error, nowMs) : RETRY;
}

export function errorCode(error: unknown): string | undefined {
  return error instanceof GlucoHubError ? error.code : undefined;
}

/** A short, secret-free description for logs and status: code + message, never the stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

import { GlucoHubError, NetworkError } from '../lib/errors.js';

/**
 * Errors the machines raise themselves (code prefix HUB). Timeouts are NetworkErrors on purpose:
 * `classify` retries them, which is what a slow peer deserves.
 */

/** HUB001: the session did not answer a frame in time. */
export function sessionWaitTimeout(loop: string, ms: number): NetworkError {
  return new NetworkError('HUB001', `loop "${loop}" got no session within ${ms} ms`);
}

/** HUB002: an output did not answer within the fan-out timeout. */
export function outputTimeout(output: string, ms: number): NetworkError {
  return new NetworkError('HUB002', `output "${output}" did not answer within ${ms} ms`);
}

/** HUB003: STOP arrived before the frame finished; nothing was half-written. */
export function frameStopped(loop: string): GlucoHubError {
  return new GlucoHubError('HUB003', `loop "${loop}" stopped before its frame finished`);
}

/** HUB004: one or more outputs failed to store a batch; `errors` holds each output's error. */
export class OutputsFailedError extends GlucoHubError {
  readonly failures: readonly { output: string; error: unknown }[];
  constructor(failures: readonly { output: string; error: unknown }[]) {
    const names = failures.map((f) => f.output).join(', ');
    super('HUB004', `${failures.length} output(s) failed to store: ${names}`, { cause: failures[0]?.error });
    this.failures = failures;
  }
}

/** HUB007: a loop's fetch (every request of it, paging included) did not finish in time; aborted and retried. */
export function fetchTimeout(loop: string, ms: number): NetworkError {
  return new NetworkError('HUB007', `loop "${loop}" did not finish fetching within ${Math.round(ms / 1000)} s; stopped`);
}

/** HUB005: a session call (authenticate, authorize, refresh) took too long and was aborted. */
export function sessionCallTimeout(step: string, ms: number): NetworkError {
  return new NetworkError('HUB005', `session ${step} did not finish within ${ms} ms`);
}

import { clampDelay } from './time.js';

/** A caller's signal with a deadline of its own: what a request or an output call is given. */
export interface Deadline {
  /** Aborted when the caller's signal is (with its reason), or when the deadline passes (with `reason()`). */
  readonly signal: AbortSignal;
  /** Rejects with `reason()` when the deadline passes, and never settles otherwise: race the work against it. */
  readonly passed: Promise<never>;
  /** The deadline passed (rather than the caller aborting). */
  expired(): boolean;
  /** Starts the clock again: a deadline on silence, re-armed by every sign of progress. */
  restart(): void;
  /** Clears the timer and stops listening to the caller's signal; call it once the work has settled. */
  done(): void;
}

export function withDeadline(caller: AbortSignal, ms: number, reason: () => unknown): Deadline {
  const controller = new AbortController();
  const forward = (): void => controller.abort(caller.reason);
  if (caller.aborted) forward();
  else caller.addEventListener('abort', forward, { once: true });
  let expired = false;
  let fail: (error: unknown) => void = () => undefined;
  const passed = new Promise<never>((_, reject) => (fail = reject));
  // Nobody need race against it: a deadline that passes unwatched is no unhandled rejection.
  passed.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const restart = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      expired = true;
      const error = reason();
      controller.abort(error);
      fail(error);
    }, clampDelay(ms));
  };
  restart();
  return {
    signal: controller.signal,
    passed,
    expired: () => expired,
    restart,
    done: () => {
      clearTimeout(timer);
      caller.removeEventListener('abort', forward);
    },
  };
}

/**
 * Runs tasks one after another: each starts once every earlier one has settled, whether it
 * resolved or failed, and a failure reaches only its own caller. An output with one writer uses it
 * so its writes never interleave.
 */
export interface Serial {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Settles once every task queued so far has (never rejects). */
  idle(): Promise<void>;
}

export function serial(): Serial {
  let tail: Promise<void> = Promise.resolve();
  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      // `then` turns a synchronous throw inside `task` into a rejection like any other.
      const run = tail.then(() => task());
      tail = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
    idle: () => tail,
  };
}

/** A signal that never aborts, for calls a test does not cancel. */
export function signal(): AbortSignal {
  return new AbortController().signal;
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; retryAfterMs?: number; status?: number; hint?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/**
 * A reader that stops reading (`gluco-hub capture --json | head -1`) closes our stdout: a normal
 * end for a command-line tool, not a crash. Without a listener, Node turns the EPIPE into an
 * uncaught exception with a stack and exit 1.
 */

/** 128 + SIGPIPE, what the shell reports for any tool stopped by a closed pipe; not 0, so a
 * supervisor whose log pipe broke under `forever` still sees that the process did not finish. */
export const CLOSED_PIPE_EXIT = 141;

function isClosedPipe(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === 'EPIPE';
}

/** Ends the process quietly with {@link CLOSED_PIPE_EXIT} when a stream's reader goes away; other errors stay fatal. */
export function endQuietlyOnClosedPipe(streams: readonly NodeJS.WritableStream[]): void {
  for (const stream of streams) {
    stream.on('error', (error: unknown) => {
      if (isClosedPipe(error)) process.exit(CLOSED_PIPE_EXIT);
      throw error;
    });
  }
}

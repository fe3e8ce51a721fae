import pino from 'pino';

const CLEAR_LINE = '\r\u001b[K';

/**
 * One status line at the bottom of a terminal, rewritten in place (a back-fill's progress), with
 * log lines written above it: each log line clears the status, prints, and draws it again, so the
 * two never mix on one line.
 */
export class TerminalStatus {
  readonly #parts = new Map<string, string>();
  #shown = '';

  constructor(
    private readonly write: (text: string) => void,
    private readonly columns: () => number,
  ) {}

  /** Sets (or, with undefined, removes) the part of the status line that `key` owns, and redraws. */
  show(key: string, text: string | undefined): void {
    if (text === undefined) this.#parts.delete(key);
    else this.#parts.set(key, text);
    const next = this.#line();
    if (next === this.#shown) return;
    this.write(`${CLEAR_LINE}${next}`);
    this.#shown = next;
  }

  /** Writes a finished log line (ending in a newline) above the status line. */
  log(line: string): void {
    this.write(this.#shown === '' ? line : `${CLEAR_LINE}${line}${this.#shown}`);
  }

  /** Every part on one line, cut to the terminal's width so it never wraps (a wrapped line cannot be rewritten). */
  #line(): string {
    const text = [...this.#parts.values()].join(' | ');
    const width = Math.max(10, this.columns() - 1);
    return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
  }
}

let stderrStatus: TerminalStatus | undefined;

/**
 * The status line of this process's stderr. Written synchronously (the last line before exit is
 * never lost) through pino's own writer, which waits out a full pipe (EAGAIN) instead of throwing.
 */
export function stderrStatusLine(): TerminalStatus {
  if (stderrStatus === undefined) {
    const stderr = pino.destination({ dest: 2, sync: true });
    stderrStatus = new TerminalStatus((text) => void stderr.write(text), () => process.stderr.columns || 80);
  }
  return stderrStatus;
}

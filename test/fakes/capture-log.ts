import { createLogger, type Logger } from '../../lib/logger.js';

/** A debug-level JSON logger whose lines a test can read back. */
export interface CapturedLog {
  log: Logger;
  lines(): Record<string, unknown>[];
  text(): string;
}

export function captureLog(): CapturedLog {
  const out: string[] = [];
  const log = createLogger({ level: 'debug', format: 'json', destination: { write: (line: string) => void out.push(line) } });
  return { log, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>), text: () => out.join('') };
}


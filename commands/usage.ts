import { ConfigError } from '../lib/errors.js';

/**
 * The command line itself is wrong (an unknown command or option, a missing or invalid argument).
 * Thrown from yargs' fail handler: yargs calls that handler during validation, and only a throw
 * stops it from going on to run the command's handler.
 */
export class UsageError extends ConfigError {
  constructor(message: string) {
    super('CLI001', message, { hint: 'commands: forever, capture, check-config, login, dlq, export, report, fleet; "gluco-hub <command> --help" shows its options and examples' });
  }
}

/** Edits between two words: inserting, deleting or changing a character, or swapping two neighbours. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const change = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + change);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The nearest option within a typo's reach: one edit per three letters (`htpp` → `http`, not `bogus` → `out`). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

const UNKNOWN = /^Unknown arguments?: (.+)$/;
const RECOMMENDED = /^Did you mean (\S+)\?$/;

/**
 * yargs suggests a command for a mistyped command ("Did you mean forever?", without naming what was
 * typed) and nothing for a mistyped option; this names the word and suggests the nearest option the
 * command takes ("Did you mean --http?").
 */
export function usageMessage(yargsMessage: string, typed: readonly string[], knownOptions: readonly string[]): string {
  // One line, like every other error ("Invalid values:\n  Argument: action, …").
  const line = yargsMessage.replace(/\s*\n\s*/g, ' ');
  const recommended = RECOMMENDED.exec(line)?.[1];
  if (recommended !== undefined) {
    // The typed word yargs meant is the one nearest its suggestion (an option's value may come first).
    const words = typed.filter((word) => !word.startsWith('-'));
    const command = words.sort((a, b) => editDistance(a, recommended) - editDistance(b, recommended))[0];
    return command === undefined ? line : `Unknown command: ${command}. ${line}`;
  }
  const unknown = UNKNOWN.exec(line)?.[1]?.split(', ') ?? [];
  const suggestions = unknown.flatMap((word) => {
    const near = closest(word, knownOptions);
    return near === undefined ? [] : [`--${near}`];
  });
  return suggestions.length > 0 ? `${line}. Did you mean ${suggestions.join(', ')}?` : line;
}

import type { HttpConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';

const COMMANDS = new Set(['forever', 'capture', 'check-config', 'login', 'dlq']);

/** The command word of `argv` (the container's arguments), whatever options come before it. */
export function commandOf(argv: readonly string[]): string | undefined {
  return argv.find((a) => COMMANDS.has(a));
}

/** `--config FILE` or `--config=FILE`, so the guard reads the same settings the command will. */
export function configFileOf(argv: readonly string[]): string | undefined {
  for (const [i, a] of argv.entries()) {
    if (a === '--config') return argv[i + 1];
    if (a.startsWith('--config=')) return a.slice('--config='.length);
  }
  return undefined;
}

/**
 * In a container every published port is "the network": the HTTP API there serves glucose to
 * whoever reaches the host, so `forever` with the API on and no bearer token is refused rather
 * than warned about (HTTP013 outside a container). Other commands serve nothing.
 */
export function tokenRefusal(argv: readonly string[], http: HttpConfig): ConfigError | undefined {
  if (commandOf(argv) !== 'forever' || !http.enabled || http.bearerToken !== undefined) return undefined;
  return new ConfigError('DOCKER001', `the container serves the HTTP API on ${http.bind} and will not start without a bearer token`, {
    hint: 'set GLUCO_HUB__HTTP__BEARER_TOKEN (or GLUCO_HUB__HTTP__BEARER_TOKEN_FILE, e.g. a Docker secret), or GLUCO_HUB__HTTP__ENABLED=false to run without the API',
  });
}
